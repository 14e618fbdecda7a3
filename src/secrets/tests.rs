//! Unit tests of the screen as a whole: the borderline choices the module documentation lists.

use super::*;

#[track_caller]
fn refused(text: &str, kind: SecretKind) {
    assert_eq!(find_secret(text), Some(kind), "{text:?} should be refused as {kind:?}");
}

#[track_caller]
fn allowed(text: &str) {
    assert_eq!(find_secret(text), None, "{text:?} should be allowed");
}

#[test]
fn placeholders_are_not_values() {
    for text in [
        "password=<redacted>",
        "api_key=[REDACTED]",
        "password=********",
        "password=xxxxxx",
        "DB_PASSWORD=${DB_PASSWORD}",
        "password: $RDS_MASTER_PASSWORD",
        "set PASSWORD=%PASSWORD%",
        "token: {{ secrets.token }}",
        "secret=null",
        "password: n/a",
        "api_key=your-api-key-here",
        "Authorization: Bearer <token>",
    ] {
        allowed(text);
    }
    // The same fields with a real value are refused, so the above pass for the right reason.
    refused("password=Hx8!kq2Lw", SecretKind::Password);
    refused("api_key=Cc8Y3tLj1PhkOLdZ6C92", SecretKind::ApiToken);
    refused("Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92", SecretKind::BearerToken);
}

#[test]
fn references_are_not_values() {
    for text in [
        "password: arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod/db/root-AbCdEf",
        "token=https://vault.bespin.example/ui/vault/secrets/kv/show/closeacct",
        "password=/etc/billing/db.pass",
        "password=~/.pgpass",
        "secret: prod/db/root",
        "api_key: ops-admin@acme.example",
        "token: op://Ops/AWS root acct-1/password",
        "root password: 2026-11-20 (rotated)",
    ] {
        allowed(text);
    }
    // A URL is a reference only while it carries no password.
    refused("token=https://admin:Hx8!kq2Lw@vault.bespin.example/", SecretKind::UrlWithPassword);
}

#[test]
fn status_words_are_not_values() {
    for text in [
        "password: rotated",
        "token: revoked",
        "secret=pending",
        "password: unchanged",
        "api key: deleted",
        "token=expired",
    ] {
        allowed(text);
    }
    refused("password: Rotated2026!", SecretKind::Password);
}

#[test]
fn values_shorter_than_the_minimum_are_allowed() {
    let short = "abc12";
    let long = "abc123";
    assert_eq!(short.len() + 1, MIN_VALUE_CHARS);
    assert_eq!(long.len(), MIN_VALUE_CHARS);
    allowed(&format!("pwd={short}"));
    refused(&format!("pwd={long}"), SecretKind::Password);
}

#[test]
fn naming_where_the_secret_is_kept_is_allowed() {
    for text in [
        "token: see vault",
        "password: in 1Password",
        "secret: stored in the vault",
        "password: Bitwarden, entry 'AWS root acct-1'",
        "the root password is in the Bespin vault",
        "rotated the root password, stored in 1Password",
        "비밀번호: 고객이 직접 변경함",
        "password=1Password",
        "ssh passphrase: KeePassXC",
    ] {
        allowed(text);
    }
    // But an MFA serial after `token:` looks exactly like a token, and is refused.
    refused("token: GAHT12345678", SecretKind::ApiToken);
    allowed("MFA device serial GAHT12345678");
}

#[test]
fn labelled_prose_needs_a_random_looking_value() {
    allowed("password: reset by the customer");
    allowed("token: OpsNow integration removed");
    allowed("API key: CenturyLink portal one, deleted");
    refused("password: hunter22 (old)", SecretKind::Password);
    refused("password: correct-horse-battery", SecretKind::Password);
    refused("the password is cOrReCtHoRsE", SecretKind::Password);
    allowed("the password is managed by AWS");
}

#[test]
fn hex_digests_uuids_and_resource_ids_are_not_aws_secret_keys() {
    for text in [
        "commit ccadb9f79d9f4bb837c0c60a0eb3a11ecbc9dae6",
        "sha1 CCADB9F79D9F4BB837C0C60A0EB3A11ECBC9DAE6",
        "sha256 41dff02cee737443e210471948d33296c87009e8a7f770d9106fd287db7f1adb",
        "secret rotation job 3f9aa884-e594-49c1-8561-9fc017b4834c",
        "secret version 2328cc2627c0b411304512e884a345d6a9ad7650",
        "snap-0123456789abcdef0 i-0a1b2c3d4e5f67890 vol-049df61146c4d7901",
        "prefix ExportsFromBillingAccount2026/November01 archived",
    ] {
        allowed(text);
    }
    // One character outside hex, with mixed case and digits, and it is a secret key.
    refused("ccadb9f79d9f4bb837c0c60a0eb3a11ecbc9dZe6", SecretKind::AwsSecretAccessKey);
    refused("TxoF54Fzbka8FRCztUjAwyuh1vauWv1zh87mTa5V", SecretKind::AwsSecretAccessKey);
}

#[test]
fn pagination_and_idempotency_tokens_are_not_secret_fields() {
    allowed("NextToken=AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3Q");
    allowed("ClientToken=closeacct-acct-1-2026-11-24");
    allowed("--next-token AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3Q");
    refused("SessionToken=AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3Q", SecretKind::ApiToken);
}

#[test]
fn aws_unique_ids_share_the_access_key_shape() {
    refused("user AIDACKCEVSQ6C2EXAMP1", SecretKind::AwsAccessKeyId);
    refused("key AKIALACI35K21PEA9DJ2 deactivated", SecretKind::AwsAccessKeyId);
    allowed("AKIALACI35K21PEA9DJ (truncated in the ticket)");
}

#[test]
fn the_more_specific_kind_wins_at_the_same_place() {
    refused("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", SecretKind::AwsSecretAccessKey);
    refused("client_secret=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", SecretKind::GoogleOAuthClientSecret);
    refused("GITHUB_TOKEN=ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE", SecretKind::GitHubToken);
}

#[test]
fn name_value_pairs_count_when_the_name_is_a_secret_field() {
    refused(r#"<add key="DbPassword" value="Zq8!vN3pLw" />"#, SecretKind::Password);
    refused(r#"{"name": "OPSNOW_API_TOKEN", "value": "plainwords"}"#, SecretKind::ApiToken);
    refused("ParameterKey=DBPassword,ParameterValue=Sup3rS3cret!", SecretKind::Password);
    // Bare, the value must look random: tags are name/value pairs too.
    allowed("--tags Key=rotate-secret,Value=monthly");
    allowed(r#"{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-northeast-2:123456789012:parameter/db"}"#);
    allowed(r#"{"name": "REGION", "value": "ap-northeast-2"}"#);
}

#[test]
fn kinds_name_themselves_without_any_secret() {
    for kind in SecretKind::ALL {
        let phrase = kind.to_string();
        assert_eq!(phrase, kind.phrase());
        assert!(phrase.starts_with("a ") || phrase.starts_with("an ") || phrase.starts_with("HTTP "), "{phrase}");
    }
}

#[test]
fn nothing_is_found_in_an_empty_text() {
    assert_eq!(findings(""), Vec::new());
    assert_eq!(redact(""), "");
}

#[test]
fn redaction_hides_each_secret_behind_its_kind() {
    let text = "db: password=Zq8!vN3pLw; key AKIALACI35K21PEA9DJ2 and ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE.";
    assert_eq!(
        redact(text),
        "db: password=[redacted: password]; key [redacted: AWS access key ID] and [redacted: GitHub token]."
    );
    let clean = "rotated the root password, stored in the vault";
    assert!(matches!(redact(clean), Cow::Borrowed(t) if t == clean));
}

#[test]
fn redaction_hides_a_whole_private_key_block() {
    let text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAi3THik6qDd9xhwoFjFd60bb5K0i9\n8peS+JtVPrewh2d6FienFjTL3GI9xbf4AXEw81\n-----END RSA PRIVATE KEY-----\nthen deleted it";
    assert_eq!(redact(text), "key:\n[redacted: private key]\nthen deleted it");
    // Without its END line, the block runs to the end of the key body.
    let cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nZlGvwTAwY4zDpZDs4det72\n\nthen deleted it";
    assert_eq!(redact(cut), "[redacted: private key]\n\nthen deleted it");
}

#[test]
fn redaction_hides_the_password_of_a_url_and_keeps_the_host() {
    assert_eq!(
        redact("postgres://app:Xk2mf9Lq@db.internal:5432/billing"),
        "postgres://app:[redacted: URL with a password in it]@db.internal:5432/billing"
    );
}

#[test]
fn overlapping_findings_are_redacted_once() {
    // The assignment's value and the GitHub token are the same span; the bearer token covers the
    // word too.
    assert_eq!(
        redact("GITHUB_TOKEN=ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE"),
        "GITHUB_TOKEN=[redacted: GitHub token]"
    );
    assert_eq!(
        redact("Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92 done"),
        "Authorization: [redacted: bearer token] done"
    );
}

#[test]
fn every_kind_has_a_label_without_its_article() {
    for kind in SecretKind::ALL {
        let label = kind.label();
        assert!(kind.phrase().ends_with(label), "{label}");
        assert!(!label.starts_with("a ") && !label.starts_with("an "), "{label}");
    }
    let Some(SecretKind::Vendor(vendor)) = find_secret("glpat-pn1fYCRyrqpgPm-u1Z9k") else {
        panic!("not a vendor kind")
    };
    assert_eq!(vendor.rule(), "gitlab-pat");
    assert_eq!(SecretKind::Vendor(vendor).label(), "GitLab personal access token");
}

#[test]
fn labels_are_found_in_any_case_and_in_other_scripts() {
    refused("ПАРОЛЬ: Xk2!mf9Lq", SecretKind::Password);
    refused("Пароль: Xk2!mf9Lq", SecretKind::Password);
    refused("CONTRASEÑA: Xk2!mf9Lq", SecretKind::Password);
    refused("数据库密码：Xk2!mf9Lq", SecretKind::Password);
    allowed("密码：已重置");
    allowed("Passwort: geändert");
}

#[test]
fn lower_case_keeps_every_byte_in_place() {
    assert_eq!(lower_case("PassWORD"), "password");
    assert_eq!(lower_case("ПАРОЛЬ: Ñ 密码"), "пароль: ñ 密码");
    // `İ` lowers to two characters, longer in UTF-8: it stays.
    let text = "\u{130} \u{212A}elvin \u{1E9E}";
    assert_eq!(lower_case(text).len(), text.len());
}

#[test]
fn administrators_names_need_a_strongly_random_value() {
    refused("root / q8rnNoeJp48I!", SecretKind::Password);
    refused("MySQL root: q8rnNoeJp48I", SecretKind::Password);
    for text in
        ["root: r-ab12", "Organization o-a1b2c3d4e5, root r-ab12", "admin: Kim Minji", "root / OrganizationAccess"]
    {
        allowed(text);
    }
}

#[test]
fn user_info_without_a_scheme_needs_a_host_and_a_random_password() {
    refused("root:q8rnNoeJp48I@db.acme.internal", SecretKind::UrlWithPassword);
    refused("ops:q8rnNoeJp48I@10.0.4.12", SecretKind::UrlWithPassword);
    for text in [
        "mailto:finance@acme.example",
        "billing-api:v1.2.3@sha256:41dff02cee737443e210471948d33296c87009e8a7f770d9106fd287db7f1adb",
        "arn:aws:iam::123456789012:user/ana@acme.example",
        "git@github.com:acme/infra.git",
    ] {
        allowed(text);
    }
}

#[test]
fn identifiers_next_to_a_vendor_name_are_not_its_keys() {
    allowed("Heroku app id: d40cca85-f0f5-44f3-8445-a3577e18a0a5");
    allowed("HEROKU_APP_ID=d40cca85-f0f5-44f3-8445-a3577e18a0a5");
    let Some(SecretKind::Vendor(vendor)) = find_secret("HEROKU_API_KEY=d40cca85-f0f5-44f3-8445-a3577e18a0a5") else {
        panic!("a Heroku API key is refused as a vendor kind")
    };
    assert_eq!(vendor.rule(), "heroku-api-key");
}

#[test]
fn forty_random_characters_are_an_aws_key_unless_an_identifier_is_named() {
    refused("apiKey: 6A1pkVSlRGoq3NTgI0z0alzCWnJkhEiiqR3xsfGj", SecretKind::AwsSecretAccessKey);
    allowed("entity guid GzPC5riPgUk0q+yE6uAMNABFiOgcO16WeN4xr2AY");
    allowed("VersionId: GzPC5riPgUk0q+yE6uAMNABFiOgcO16WeN4xr2AY");
    refused("found GzPC5riPgUk0q+yE6uAMNABFiOgcO16WeN4xr2AY in the script", SecretKind::AwsSecretAccessKey);
}

#[test]
fn access_key_ids_may_run_on_but_longer_unique_ids_are_allowed() {
    refused("found AKIALACI35K21PEA9DJ2_old in the script", SecretKind::AwsAccessKeyId);
    refused("AKIALACI35K21PEA9DJ2024", SecretKind::AwsAccessKeyId);
    allowed("RoleId AROAB0Y07NYRVD5RXI67N (OrganizationAccountAccessRole) deleted");
}

#[test]
fn passwords_may_be_passphrases_of_words_and_numbers() {
    refused("password: purple-tiger-42", SecretKind::Password);
    refused("the old admin password was correct-window-77", SecretKind::Password);
    allowed("the password was unchanged");
    allowed("token: closeacct-ci-2024");
}

#[test]
fn words_between_a_field_and_its_separator() {
    refused("Mot de passe du compte root = oOskMBb8rK#", SecretKind::Password);
    refused("api key for OpsNow is Olma7DsuqbqBbgww5tSoushYCmJ", SecretKind::ApiToken);
    allowed("password policy: 14-chars-min1");
    allowed("token ID: 3f9aa884e594");
}

#[test]
fn a_redaction_marker_can_not_hide_a_secret() {
    refused("[redacted: password=Xk2!mf9Lq]", SecretKind::Password);
    refused("[redacted: password] and password=Xk2!mf9Lq", SecretKind::Password);
    allowed("[redacted: password] [redacted: HTTP Basic credentials]");
}

#[test]
fn actions_named_like_fields_are_not_fields() {
    allowed("gpg --delete-secret-keys 429B4A64144EA381F3531F286F5443C5BB72685A");
    allowed("aws ecr get-login-password --region ap-northeast-2");
    refused("--secret-string Zq8!vN3pLw", SecretKind::ClientSecret);
}

#[test]
fn a_value_before_its_field_counts_when_the_field_ends_the_clause() {
    refused("use 'Tr0ub4dor&3' as the password", SecretKind::Password);
    refused("Kx9!vv12Lq is the new root password.", SecretKind::Password);
    allowed("INC0012345 is the password reset ticket");
    allowed("1Password is the password manager");
}

#[test]
fn windows_and_postgres_forms() {
    refused(r"net use Z: \\files\archive S3cr3t!xx /user:ACME\backup", SecretKind::Password);
    allowed(r"net use Z: \\files\archive * /user:ACME\backup");
    refused("db.acme.internal:5432:billing:app:S3cr3tPg!", SecretKind::Password);
    allowed("host:port pairs: db.acme.internal:5432, cache.internal:6379");
}
