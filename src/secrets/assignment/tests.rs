use super::field::{Field, classify, words};
use super::value::{camel_words, is_placeholder, is_reference, take_value};
use crate::secrets::SecretKind;

#[test]
fn field_names_are_read_as_words() {
    assert_eq!(words("MYSQL_ROOT_PASSWORD"), ["mysql", "root", "password"]);
    assert_eq!(words("dbPassword2"), ["db", "password", "2"]);
    assert_eq!(words("APIKey"), ["api", "key"]);
    assert_eq!(words("x-api-key"), ["x", "api", "key"]);
    assert_eq!(words("spring.datasource.password"), ["spring", "datasource", "password"]);
}

#[test]
fn the_name_decides_whether_it_is_a_secret_field() {
    let kind =
        |name: &str, before: Option<&str>| classify(name, &before.map(str::to_owned).into_iter().collect::<Vec<_>>());
    let secret = |k| Some(Field::Secret(k));
    for name in ["password", "DB_PASSWORD", "PGPASSWORD", "dbPass", "SMTP_PASS", "DBPASS", "password_value", "Passwort"]
    {
        assert_eq!(kind(name, None), secret(SecretKind::Password), "{name}");
    }
    assert_eq!(kind("aws_secret_access_key", None), secret(SecretKind::AwsSecretAccessKey));
    assert_eq!(kind("SecretAccessKey", None), secret(SecretKind::AwsSecretAccessKey));
    assert_eq!(kind("client_secret", None), secret(SecretKind::ClientSecret));
    assert_eq!(kind("AccountKey", None), secret(SecretKind::ClientSecret));
    assert_eq!(kind("x-api-key", None), secret(SecretKind::ApiToken));
    assert_eq!(kind("key", Some("api")), secret(SecretKind::ApiToken));
    assert_eq!(kind("PrivateKey", None), secret(SecretKind::PrivateKey));
    assert_eq!(kind("access_token", None), secret(SecretKind::ApiToken));
    assert_eq!(kind("aws_session_token", None), secret(SecretKind::AwsSessionToken));
    assert_eq!(kind("auth", None), Some(Field::Auth));
    for name in
        ["password_policy", "bypass", "compass", "NextToken", "next_token", "secret_name", "secret-id", "keyboard"]
    {
        assert_eq!(kind(name, None), None, "{name}");
    }
    assert_eq!(kind("key", Some("public")), None);
    assert_eq!(kind("key", None), None);
    assert_eq!(kind("token", Some("next")), None);
}

#[test]
fn values_keep_their_symbols_but_not_the_next_pair_or_sentence_punctuation() {
    fn value(s: &str) -> &str {
        take_value(s, 0, false).text
    }
    assert_eq!(value("Tr0ub&dor,x/y(z) next"), "Tr0ub&dor,x/y(z)");
    assert_eq!(value("Ttj2u1ls&format=json"), "Ttj2u1ls");
    assert_eq!(value("Xk2!mf9Lq;Database=billing"), "Xk2!mf9Lq");
    assert_eq!(value("hunter22)."), "hunter22");
    assert_eq!(value("'quoted value' rest"), "quoted value");
    assert_eq!(value("\\\"escaped\\\""), "escaped");
    assert_eq!(value("abc<"), "abc");
}

#[test]
fn variables_are_placeholders_but_dollar_values_are_not() {
    for v in ["$DB_PASSWORD", "$password", "${PW}", "$(cat pw.txt)", "$env:PW", "%PASSWORD%", "{{ secrets.token }}"] {
        assert!(is_placeholder(v), "{v}");
    }
    for v in ["$3cr3t", "$ecretPass", "(Xk2!mf9)", "Tr0ub4dor"] {
        assert!(!is_placeholder(v), "{v}");
    }
}

#[test]
fn camel_case_product_names_are_words() {
    for w in ["OpsNow", "GitHub", "CenturyLink", "PagerDuty", "payDay"] {
        assert!(camel_words(w), "{w}");
    }
    for w in ["cOrReCt", "aB", "OpsN", "ABCdef", "Ops"] {
        assert!(!camel_words(w), "{w}");
    }
}

#[test]
fn references_are_recognised() {
    for v in ["ops-admin@acme.example", "2026-11-20", "2026-11-20T14:05:00Z", "prod/db/root", "kv/acct-1/", "arn:aws:x"]
    {
        assert!(is_reference(v), "{v}");
    }
    for v in ["Xk2!mf9@host", "2026-11-2x", "Tr0ub/4dor", "https://a:b@c"] {
        assert!(!is_reference(v), "{v}");
    }
}
