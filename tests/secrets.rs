//! Secret screening: realistic secrets are all refused with the right kind, realistic operator
//! notes almost never are, and through the binary a refused note, evidence or skip reason exits
//! 65, names the kind, never echoes the secret and leaves the state file untouched.
//!
//! Every credential below is made up for these tests (random strings in the vendors' formats, or
//! AWS's documented example key); none is, or was, a working credential.

use closeacct::testing::{SecretKind, find_secret};

use crate::common::{Output, Small};

use SecretKind as K;

/// Realistic secrets as operators paste them, each with the kind it must be reported as.
const SECRETS: &[(&str, SecretKind)] = &[
    // --- AWS access key IDs, in prose and in config.
    ("Found AKIALACI35K21PEA9DJ2 in the old Jenkins config, deactivated it before closing", K::AwsAccessKeyId),
    ("aws_access_key_id = AKIASB8WQEE7QK29UOQQ", K::AwsAccessKeyId),
    ("export AWS_ACCESS_KEY_ID=AKIARXI6VBTCJBS73Z4Z", K::AwsAccessKeyId),
    ("Access key ID: AKIA61NUMLHM5ZME0K1Y (IAM user deploy-bot), last used 2026-10-02", K::AwsAccessKeyId),
    (r#"{"AccessKeyId": "ASIA96ENC2DAV3S4YMZO", "Expiration": "2026-11-24T14:40:00Z"}"#, K::AwsAccessKeyId),
    ("temporary creds ASIAN3RNXXRBWA5VYBIM from sts assume-role, expire in 1h", K::AwsAccessKeyId),
    ("액세스 키 AKIA5G3C40GC5N9X5KJ3 비활성화 완료", K::AwsAccessKeyId),
    (
        "User name,Password,Access key ID,Secret access key,Console login link\nci-deploy,,AKIAUCQZYW6UFAFI9RP1,IKTze8E97AJISWXiRI92CVCPMuRsF1maLucrPtZE,https://123456789012.signin.aws.amazon.com/console",
        K::AwsAccessKeyId,
    ),
    ("key AKIAPN9ZJDNCWC14XTNF was still active on the management account", K::AwsAccessKeyId),
    ("aws iam delete-access-key --user-name ci --access-key-id AKIAPT49ZHKKEN659O2V", K::AwsAccessKeyId),
    ("Bespin said the key (AKIA21I9MPFLV9FUPXQM) belongs to the old billing integration", K::AwsAccessKeyId),
    // --- AWS secret access keys: ini, env, JSON, YAML, CLI, bare.
    ("[closeacct-prod]\naws_secret_access_key = MJzjtPrcWC3f5fMqIY3Dwarw4xQTQzKEe7+PR9qR", K::AwsSecretAccessKey),
    ("AWS_SECRET_ACCESS_KEY=+hMjNzRf7+SKZSDK/Vb2x2kRVIIWKaNwGu0e/e64", K::AwsSecretAccessKey),
    (
        r#"{"UserName": "ci", "SecretAccessKey": "HmE+tWN2EABTPu1m0ugeWOg7GLqwSBIPt3oILT9R", "Status": "Active"}"#,
        K::AwsSecretAccessKey,
    ),
    ("aws_secret_access_key: ViP91KeRFiME6Zuxk5Sb0IfSWJ9mdbzfK1n+jDwV", K::AwsSecretAccessKey),
    (
        "the old secret key Egbf55KuQdBN7VHik5qNvO8fy5lShwlQOmOSZ1Mt was in the README of the backup bucket",
        K::AwsSecretAccessKey,
    ),
    ("Secret access key: kW17ePjjKvL77qDjStJek3xCdiKIsiIFWwyrDj+S", K::AwsSecretAccessKey),
    (r#"provider "aws" { secret_key = "F83ecdzH6kXVqAf0rHAcM/HqHyqsh812wBW/bcQT" }"#, K::AwsSecretAccessKey),
    (
        "aws configure set aws_secret_access_key g6dHql/tABLrWzCZWl/u94mHSiU14oZPnoUjJGXw --profile old",
        K::AwsSecretAccessKey,
    ),
    ("creds for the export job: QQRw9dlUW1cXYngpNpfeXKmZzatoTZVZGWw/9cLM", K::AwsSecretAccessKey),
    ("시크릿 키: IBZgFjT88NpmNitL1LP7KlzdoS+TkLhjXI7G873V", K::AwsSecretAccessKey),
    ("      AWS_SECRET_ACCESS_KEY: 3Zw/r9h9xVl62DmX/7bzEesW8rauyH8j1vwhIT/A", K::AwsSecretAccessKey),
    ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", K::AwsSecretAccessKey),
    ("TxoF54Fzbka8FRCztUjAwyuh1vauWv1zh87mTa5V", K::AwsSecretAccessKey),
    ("pasted from the console by mistake: sqxezy3Lex7BWr2drgd1QsO7jprBGumXxY9B4bZW sorry", K::AwsSecretAccessKey),
    ("export AWS_SECRET_ACCESS_KEY='Oz648JJnUfd7UACNWiP3sFd67JikEAvstqVVPqzP'", K::AwsSecretAccessKey),
    // --- AWS session tokens.
    (
        "aws_session_token = IQoJb3JpZ2luX2VjESUEnSFpIHJSwaUYQ0XTr1fX5rAPRMVTcbkfUzTrR7E0xokHcwJLkEQBhdbV1fqO5WKCSOgwBgD83/K69/HXTI2JcbKvDlQxgmUpRNTj3Zg2/2crD97K+3LNV",
        K::AwsSessionToken,
    ),
    (
        "AWS_SESSION_TOKEN=FwoGZXIvYXdzE2kuovN/NSMc4oscIFVJEfoehVFNlHROH6GEi9j9P2dS4bu67aD2cNuKcjJ/I0ddiV4Ynp6HTToHurqZH54oICKPl77dXe4ty2tiX",
        K::AwsSessionToken,
    ),
    (
        r#""SessionToken": "IQoJb3JpZ2luX2VjEHcaDmFwLW5vcnRoZWFzdC0yIkcwRQIhAN3kq9Vx2wLr7Zt+8mQpYc4Ue1oJhS0bIvNf6RxaTyGd""#,
        K::AwsSessionToken,
    ),
    ("session from the SSO portal: FwoGZXIvYXdzEJr//////////wEaDK9sT3vQx2mPz8Lk1yKBAc5Vn0", K::AwsSessionToken),
    // --- Private keys.
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAi3THik6qDd9xhwoFjFd60bb5K0i9BsZt0m+cFwfwU52dDy14vPHQ\n8peS+JtVPrewh2d6FienFjTL3GI9xbf4AXEw81+HX+BGrDMvbye1oG6i03bXKGpA\n-----END RSA PRIVATE KEY-----",
        K::PrivateKey,
    ),
    (
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIZuLIY475+eMAo/CD+JPezN7c+FlRHDm71iMChlXpllIhQ8fOHLK5tjFz\n-----END EC PRIVATE KEY-----",
        K::PrivateKey,
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQZlGvwTAwY4zDpZDs4det72DswVOECC6jzIZdiugQ\n-----END OPENSSH PRIVATE KEY-----",
        K::PrivateKey,
    ),
    (
        "bastion key for the last check:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCI7CjBm80GdCuMw1xBwbRhqAka3IV+N87ckVUQnSVIngT+ED1\nPvjMOH/fJQtxiVC50ERVHeXDTyP6kUTr1SbQ1KwHDeZGfKLxObaNWQLEkAVc5PIw\n-----END PRIVATE KEY-----",
        K::PrivateKey,
    ),
    (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQIV6zBX7grg9JVRsNl3LpF\n-----END ENCRYPTED PRIVATE KEY-----",
        K::PrivateKey,
    ),
    (
        "-----BEGIN DSA PRIVATE KEY-----\nU6u2JcBv8DQde/3+LOrz7yFc56ZNOT8GX2KBs8qC2eTONUFLWetULzTvRa/hknBQ",
        K::PrivateKey,
    ),
    (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQdGBGVxYakF2b+8XWafG1m5saVL3YkCEzsUIJeUXOZ2sVgR1gmqfT8Mh9PfaVCnbz6O0\n",
        K::PrivateKey,
    ),
    (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ops@bastion\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIceJn8LrAptCh8jKAXX+aR5xtYA5iThxlDcDYexis7",
        K::PrivateKey,
    ),
    (
        r#"{"type": "service_account", "project_id": "bespin-billing-prod", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"}"#,
        K::PrivateKey,
    ),
    ("MIIEowIBAAKCAQEAi3THik6qDd9xhwoFjFd60bb5K0i9BsZt0m+cFwfwU52dDy14vPHQxBXswLv4e3mf", K::PrivateKey),
    ("key body b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW", K::PrivateKey),
    (
        "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key-20261124\"\nP2/56wAAA+wAAAA3aWYtbW9kbntzaWdue3JzYS1wa2NzMS1zaGExfSxlbmNyeXB0",
        K::PrivateKey,
    ),
    // --- Passwords in many assignment forms.
    ("password=Tr0ub4dor&3x", K::Password),
    ("mysql -h billing-db.internal -u admin --password=Cn6Cr%eks2ZLg5 billing", K::Password),
    ("mysqldump --user root --password 'wBuPo!3hUvuDDo' --all-databases > /backup/all.sql", K::Password),
    ("PGPASSWORD=DmrtDCCPrQRm0V pg_dump -h db.prod.internal -U billing billing > billing.sql", K::Password),
    (r#"{"username": "admin", "password": "@OaVRhO^0Iw3Af"}"#, K::Password),
    ("비밀번호: #Rh7pd*876NM0D", K::Password),
    ("루트 계정 비밀번호는 5nl3Pvfe9zML@j 입니다", K::Password),
    ("the root password is xqHbt4#ta7yYl! (customer asked us to record it)", K::Password),
    ("DB_PASSWORD: XPISrE8EQa4q2r", K::Password),
    ("passwd: hunter22", K::Password),
    ("db:\n  host: billing.cluster-c9akciq32.ap-northeast-2.rds.amazonaws.com\n  password: Winter2026!", K::Password),
    ("MYSQL_ROOT_PASSWORD=changeme123", K::Password),
    ("RDS master password = 'Sup3r-S3cret-2026'", K::Password),
    ("pwd=Qwerty!234", K::Password),
    ("passphrase: correct-horse-battery-staple", K::Password),
    ("Temporary console password: Kp9#vL2m", K::Password),
    ("new password for billing@acme.example: Gd7!kz9Qw", K::Password),
    ("암호: qwer1234!", K::Password),
    ("패스워드 = Bespin#2026", K::Password),
    ("비번은 kakao1234 임, 변경 예정", K::Password),
    (r#"$password = "P@ssw0rd2026""#, K::Password),
    ("ConnectionString: Server=tcp:sql.example.net;Database=billing;User ID=sa;Password=Xk2!mf9Lq;", K::Password),
    ("SMTP_PASS=mG8tq2Lz9", K::Password),
    ("pw: R3set!now", K::Password),
    ("Windows Administrator password: 7hJ@k2Lp;Q", K::Password),
    ("./migrate --db-password S3cr3tPass! --dry-run", K::Password),
    ("docker login -u ci --password dckrPass2026x registry.example.com", K::Password),
    (r#""MasterUserPassword": "Aurora#Prod2026""#, K::Password),
    ("Password:Mz8#pq2Lw", K::Password),
    (r#"PASSWORD="Lotte*Mart88""#, K::Password),
    ("IAM user ops-readonly console password: Welcome2026!", K::Password),
    ("ssh root@10.0.4.12, password: N7v!q2Lx", K::Password),
    // --- Name/value pairs: .NET config, ECS and Kubernetes env, CloudFormation, SSM.
    ("<add key=\"DbPassword\" value=\"Zq8!vN3pLw\" />", K::Password),
    (
        r#""environment": [{"name": "DB_PASSWORD", "value": "Zq8!vN3pLw"}, {"name": "REGION", "value": "ap-northeast-2"}]"#,
        K::Password,
    ),
    ("env:\n  - name: OPSNOW_API_TOKEN\n    value: \"Ttj2u1lsK3MWPaeNUugCAk9z5fOKvmj7\"", K::ApiToken),
    (
        "aws cloudformation create-stack --stack-name billing --parameters ParameterKey=DBPassword,ParameterValue=Sup3rS3cret!",
        K::Password,
    ),
    (
        "aws ssm put-parameter --name /prod/billing/db-password --value 'Xk2!mf9Lq' --type SecureString --overwrite",
        K::Password,
    ),
    ("aws secretsmanager create-secret --name prod/db/root --secret-string 'Zq8!vN3pLw'", K::ClientSecret),
    (
        r#"aws secretsmanager put-secret-value --secret-id prod/db/root --secret-string '{"username":"admin","password":"Zq8!vN3pLw"}'"#,
        K::Password,
    ),
    ("docker run -e POSTGRES_PASSWORD=Zq8!vN3pLw postgres:16", K::Password),
    ("aws rds modify-db-instance --db-instance-identifier billing --master-user-password 'Zq8!vN3pLw'", K::Password),
    ("Wi-Fi in the DC cage: SSID ops-cage, passphrase: Kx9!mw2Zq7", K::Password),
    ("CenturyLink control portal login ops@bespin.example / password: CtL#2026nov", K::Password),
    ("OpsNow admin 비밀번호 = opsnow!2026", K::Password),
    // --- Bearer and Basic credentials.
    (
        "Authorization: Bearer eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAic3ZjLWNsb3NlYWNjdCIsICJpYXQiOiAxNzY0MDAwMDAwLCAiZXhwIjogMTc2NDAwMzYwMH0.5hxP9FedV71gZy-Ax4vpJDtUAV2eF435ztMfxv5HKFW",
        K::BearerToken,
    ),
    (
        "curl -H 'Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92f3SnblMto4sv' https://api.opsnow.example/v1/accounts/123456789012",
        K::BearerToken,
    ),
    ("used bearer moC3TYUgLMvjO4XoNYV1CPVW5bPjiDMO against the billing API", K::BearerToken),
    ("Authorization: Bearer PQJNBrfOzrni", K::BearerToken),
    (r#""headers": {"Authorization": "Bearer yxEugDjFOLnaRn5CWmIYEYikWVdeSOpO"}"#, K::BearerToken),
    ("Authorization: Basic b3BzLWFkbWluOkJsNGNrQjFyZCEyMDI2", K::BasicAuth),
    ("curl -H 'Authorization: Basic YmlsbGluZzp3MG5Ub24tU291cA==' https://billing.example/api/export", K::BasicAuth),
    ("the partner API wanted basic b3BzLWFkbWluOkJsNGNrQjFyZCEyMDI2 in the header", K::BasicAuth),
    // --- API keys and tokens in assignment form.
    ("api_key=Cc8Y3tLj1PhkOLdZ6C92f3SnblMto4sv", K::ApiToken),
    ("X-API-Key: u42O5XDeZCovoWOeH25XqjmQljf2C2DX", K::ApiToken),
    ("OPSNOW_API_TOKEN=Ttj2u1lsK3MWPaeNUugCAk9z5fOKvmj7", K::ApiToken),
    (
        r#"{"access_token": "ONnDxvFGtqfh7bGmIBlsLusGcg0OIgR0", "token_type": "Bearer", "expires_in": 3600}"#,
        K::ApiToken,
    ),
    ("datadog apikey=f836f99eee3692f09e2e8c662248b483", K::ApiToken),
    ("refresh_token = 1//0gLx9vQ2mPz8Lk1yKBAc5Vn0TqRw7", K::ApiToken),
    ("토큰: jEZM7ELuY4Phz4pHfMGRD1gNEte60Ndw", K::ApiToken),
    ("CenturyLink portal API key: c60926f6967e7893f57fd14c1604d115", K::ApiToken),
    ("Bearer token for the partner API: jEZM7ELuY4Phz4pHfMGRD1gNEte60Ndw", K::ApiToken),
    ("token: Xk29fLq7Rz", K::ApiToken),
    ("API 키: yxEugDjFOLnaRn5CWmIYEYikWVdeSOpO", K::ApiToken),
    ("auth_token=Ttj2u1lsK3MWPaeNUugCAk9z5fOKvmj7&format=json", K::ApiToken),
    ("--api-key u42O5XDeZCovoWOeH25XqjmQljf2C2DX", K::ApiToken),
    ("the OpsNow access token is ONnDxvFGtqfh7bGmIBlsLusGcg0OIgR0", K::ApiToken),
    // --- Vendor-prefixed tokens.
    ("npm token for the build: npm_xhHYzaUipHsaCw1MI7LdmBal0X38vcv9QKMm", K::ApiToken),
    ("VAULT_TOKEN=hvs.QHrEHteEz9oLqt18nR3okEUb", K::ApiToken),
    ("docker hub pat dckr_pat_TG2-jPLj0JcMHCbId6Vk8E1Cfu5", K::ApiToken),
    ("OPENAI_API_KEY sk-proj-nbUASpEQoB5Wy6AvXII2N6dYwfJCkmZBk6YbPVZz6FKgb0Yf", K::ApiToken),
    ("sk-ant-api03-MLm4B7KF6LVC6O3TEo2tqflj4ll4kFXCZ1sy-5Zz used by the summariser", K::ApiToken),
    ("hf_r3wIRVRaeT1jPOBwH3oXQWQSKqM5oQRUDv", K::ApiToken),
    (
        "SendGrid key 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 for invoice mails",
        K::ApiToken,
    ),
    ("glpat-pn1fYCRyrqpgPm-u1Z9k", K::ApiToken),
    ("GitLab runner token glpat-1vdk5f2nGNvn2a7AH1xx revoked? not yet", K::ApiToken),
    (
        "TFC token FdnXsiVpzz63Ff.atlasv1.v5ZJr3J1TWDtkwtDDb-xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po-799N",
        K::ApiToken,
    ),
    ("ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE", K::GitHubToken),
    ("GITHUB_TOKEN=ghp_tEWrZG2lNRYTBuyErQ9fqZ80chjQV38NiE5D", K::GitHubToken),
    (
        "the CI used 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",
        K::GitHubToken,
    ),
    ("gho_wXoIIXGvOoNZYW2mZp0zVZomHFwUbbYrEqmS (oauth app)", K::GitHubToken),
    ("ghs_M9wCZ7Uw9xfogoEmvnEN5N1aE6PwZPf1Qh6y", K::GitHubToken),
    ("SLACK_BOT_TOKEN=xoxb-415594509454-8493571713787-GUKRnMxwJbn9OsXuGRdefJYv", K::SlackToken),
    ("xoxp-813803394758-780588609889-7960316593158-abcf6975a2d858ad35766ccf58e999e6", K::SlackToken),
    (
        "app token xapp-1-A64P2G158Z6-4335326502014-d512c9791e558e08baa7196b50ac2f86702824c1c099724caf4941d4072014b3",
        K::SlackToken,
    ),
    ("Maps key AIzaVGj6dQrR4xKwXcFn1z6iQRluTYKD3HJ3vJV in the old status page", K::GoogleApiKey),
    ("GOOGLE_API_KEY=AIzaz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH", K::GoogleApiKey),
    ("client_secret=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", K::GoogleOAuthClientSecret),
    (r#""client_secret": "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""#, K::GoogleOAuthClientSecret),
    ("STRIPE_SECRET_KEY=sk_live_vyiHtUMPEO684pQF5pI5w3Zh", K::StripeKey),
    ("restricted key rk_live_bBH6rcWecjdvoG4WsqyhucaZ still in the webhook handler", K::StripeKey),
    ("sk_test_1SpsvBG28ULL2YrCFaQCAUnb", K::StripeKey),
    ("signing secret whsec_X0jKTuBSK2p7NL7zomeZEiMEGE5uaICP", K::StripeKey),
    // --- Client secrets and storage keys.
    ("Azure AD app client secret: 8Q~W5gcF~Ha6i_li8GjHEAD6.Wj9KfzjsQGMrb9h", K::ClientSecret),
    (
        "DefaultEndpointsProtocol=https;AccountName=bespinbackup;AccountKey=PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA/2O76UMFxFkM/R5Kjp1vRt+1fjORS/6ilI8ihN5KXSc7Tvo==;EndpointSuffix=core.windows.net",
        K::ClientSecret,
    ),
    ("OAUTH_CLIENT_SECRET=yxEugDjFOLnaRn5CWmIYEYikWVdeSOpO", K::ClientSecret),
    ("jwt_secret = 'x9!Lq2#vN8mZ'", K::ClientSecret),
    ("SECRET_KEY = 'django-insecure-7h$k2@lq9!x'", K::ClientSecret),
    ("시크릿: u42O5XDeZCovoWOeH25XqjmQljf2C2DX", K::ClientSecret),
    // --- JSON Web Tokens.
    (
        "id_token eyJhbGciOiAiUlMyNTYiLCAia2lkIjogImsxIn0.eyJpc3MiOiAiaHR0cHM6Ly9sb2dpbi5iZXNwaW4uZXhhbXBsZSIsICJhdWQiOiAib3Bzbm93In0.UhQTbpkmKU1gIgD93P04LWWMwuIkPvsTm6J7kJLUw-cNQeDvUjS93FxCJCxF0N_9QRGbAJmCRIk5eaWPYuXPl8",
        K::Jwt,
    ),
    (
        "eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAic3ZjLWNsb3NlYWNjdCIsICJpYXQiOiAxNzY0MDAwMDAwLCAiZXhwIjogMTc2NDAwMzYwMH0.5hxP9FedV71gZy-Ax4vpJDtUAV2eF435ztMfxv5HKFW",
        K::Jwt,
    ),
    (
        "cookie session=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoib3BzIiwicm9sZSI6ImFkbWluIn0.Qm9ndXNTaWduYXR1cmVGb3JUZXN0cw; Path=/",
        K::Jwt,
    ),
    // --- URLs with passwords, webhook URLs.
    (
        "postgres://billing_app:Xk2mf9Lq@db-prod.c9akciq32.ap-northeast-2.rds.amazonaws.com:5432/billing",
        K::UrlWithPassword,
    ),
    ("grafana at https://admin:Summer2026!@grafana.ops.example.com/d/billing", K::UrlWithPassword),
    ("MONGO_URL=mongodb+srv://svc:pa55w0rdZ@cluster0.ab1cd.mongodb.net/closeacct", K::UrlWithPassword),
    ("redis://:R3dis!Pass@cache.internal:6379/0", K::UrlWithPassword),
    ("git clone https://deploy:glpat-pn1fYCRyrqpgPm-u1Z9k@gitlab.example.com/ops/infra.git", K::UrlWithPassword),
    ("amqp://guest:Rabb1tMQ-prod@mq.internal:5672/", K::UrlWithPassword),
    ("ftp://backup:ftpPa55word@files.centurylink.example/exports/", K::UrlWithPassword),
    ("alerts went to https://hooks.slack.com/services/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", K::WebhookUrl),
    (
        "https://discord.com/api/webhooks/191515612715585017/wadqcSAA0XnPkNy610Y6WA3uusId3cSxJeK9K-zUKuqtvC0PrpONlXWRwoXh677n_Lhm",
        K::WebhookUrl,
    ),
    (
        "Teams channel hook: https://bespin.webhook.office.com/webhookb2/3f9aa884-e594-49c1-8561-9fc017b4834c@7223c68a-a552-4b05-a656-7bc4627292f8/IncomingWebhook/c60926f6967e7893f57fd14c1604d115/d9435541-4fe0-4802-b435-a5736e8cd94e",
        K::WebhookUrl,
    ),
    (
        "workflow hook https://hooks.slack.com/workflows/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",
        K::WebhookUrl,
    ),
];

/// Realistic notes, evidence and skip reasons an operator closing an account writes.
const BENIGN: &[&str] = &[
    // --- Tickets and cases.
    "CS-2026-11-0042",
    "INC0012345",
    "Bespin CSP ticket #88213",
    "Opened AWS support case 17299384821 (account closure, management account)",
    "Case ID 171234567800 — closure requested by the customer's finance team",
    "Ticket CS-2026-11-0042 opened with Bespin Global; ack received 2026-11-24 09:12 KST",
    "Partner ticket BGC-20261124-0193, assigned to J. Park",
    "Jira OPS-4821 tracks the shutdown",
    "ServiceNow RITM0098231 approved by the account owner",
    "Zendesk #552341: customer confirmed no further usage",
    "Support case 17412345678 updated: AWS asked for the payer account id",
    "CHG0034512 approved in CAB on 2026-11-20",
    "Freshdesk ticket 20931 closed",
    "see ticket INC0012345 for the approval chain",
    "티켓 번호 CS-2026-11-0042, 베스핀 담당자 확인 완료",
    "Bespin CSP ticket #88213 — partner confirmed the account is detached from the billing group",
    // --- Accounts, regions, amounts.
    "account 123456789012 (prod-billing), management account 210987654321",
    "Member accounts removed: 111122223333, 444455556666, 777788889999",
    "All EC2 stopped in ap-northeast-2, us-east-1 and eu-west-1",
    "Checked every enabled region: ap-northeast-1, ap-northeast-2, ap-southeast-1, us-east-1, us-west-2",
    "Final invoice $1,284.37 paid on 2026-11-03",
    "Outstanding balance ₩1,532,000 settled by wire transfer",
    "Estimated last bill: USD 42.18 (S3 storage until deletion)",
    "Reserved Instances: 3 x m5.large in ap-northeast-2 expire 2027-02-14; cannot be cancelled",
    "Savings Plan arn:aws:savingsplans::123456789012:savingsplan/3f9aa884-e594-49c1-8561-9fc017b4834c ends 2027-06-30",
    "Credits remaining $0.00",
    "November usage so far: 18,220원",
    "Tax invoice (세금계산서) issued for 2026-10, KRW 2,310,450",
    "last charge was $3.12 for Route 53 hosted zones, deleted them",
    "Cost Explorer shows $0.00 for the last 7 days",
    "Budget alert threshold lowered to $1",
    "usage in us-east-1 is only CloudTrail, ~$0.40/month",
    // --- ARNs and resource ids.
    "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole removed",
    "Deleted arn:aws:s3:::acme-prod-logs-2026 after copying it",
    "Secret arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:prod/db/root-AbCdEf scheduled for deletion (7 days)",
    "arn:aws:kms:ap-northeast-2:123456789012:key/d9435541-4fe0-4802-b435-a5736e8cd94e pending deletion, 30 day window",
    "Terminated i-0a1b2c3d4e5f67890 and i-0fedcba9876543210",
    "Snapshots snap-0123456789abcdef0 and snap-0fedcba9876543210 copied to the backup account",
    "vol-049df61146c4d7901 detached and deleted",
    "NAT gateway nat-0f1e2d3c4b5a69788 deleted, EIP eipalloc-0a1b2c3d4e5f60718 released",
    "VPC vpc-0a9b8c7d6e5f40312 left in place (default VPC)",
    "RDS final snapshot rds:billing-prod-final-2026-11-24 shared with 210987654321",
    "AMI ami-0c9c942bd7bf113a2 deregistered",
    "Lambda arn:aws:lambda:us-east-1:123456789012:function:invoice-export deleted",
    "CloudFront distribution E2QWRUHAPOMQZL disabled then deleted",
    "Route 53 hosted zone Z1D633PJN98FT9 deleted, domain transferred to the new account",
    "ECR repository 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/billing-api emptied",
    "EKS cluster prod-apne2 deleted; node group ng-2026 gone",
    "ELB arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/prod-alb/50dc6c495c0c9188 deleted",
    "IAM role arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_5c2f8a1b9d3e4f60 remains until closure",
    "Secrets Manager: 4 secrets scheduled for deletion (prod/db/root, prod/api/opsnow, ci/github, ci/slack)",
    "SSM parameter /prod/billing/db-password deleted",
    "Parameter Store path /closeacct/acct-1/ is empty now",
    "KMS key alias alias/prod-billing scheduled for deletion",
    "CloudTrail trail arn:aws:cloudtrail:us-east-1:123456789012:trail/org-trail stopped after export",
    "Glacier vault arn:aws:glacier:ap-northeast-2:123456789012:vaults/archive-2019 emptied (inventory job 2026-11-10)",
    "EventBridge rule arn:aws:events:ap-northeast-2:123456789012:rule/nightly-export disabled",
    "sns topic arn:aws:sns:ap-northeast-2:123456789012:billing-alerts deleted",
    "SQS queue https://sqs.ap-northeast-2.amazonaws.com/123456789012/invoice-jobs deleted",
    "ACM cert arn:aws:acm:us-east-1:123456789012:certificate/05955fb9-f7d1-4ebd-9f75-c883d07884b7 deleted",
    // --- Backups: S3 URIs, paths, digests.
    "copied to s3://backups/2026",
    "Backup in s3://acme-archive-apne2/closeacct/123456789012/2026-11-24/ (412 GiB, 18,203 objects)",
    "aws s3 sync s3://acme-prod-logs-2026 s3://acme-archive-apne2/logs/ --storage-class DEEP_ARCHIVE finished",
    "Export manifest sha256 41dff02cee737443e210471948d33296c87009e8a7f770d9106fd287db7f1adb",
    "git commit ccadb9f79d9f4bb837c0c60a0eb3a11ecbc9dae6 has the final Terraform state",
    "sha1 33a24f709007851602980c7d193695418b7b6407 matches the archive",
    "md5 f836f99eee3692f09e2e8c662248b483 for billing-2026-10.csv.gz",
    "ETag \"c60926f6967e7893f57fd14c1604d115\" checked against the local copy",
    "Terraform state moved to s3://tf-state-acme/closed/prod-billing.tfstate",
    "Downloaded to /mnt/archive/closeacct/123456789012/ and verified with sha256sum -c SHA256SUMS",
    "Backup job 3f9aa884-e594-49c1-8561-9fc017b4834c completed in AWS Backup",
    "Recovery point arn:aws:backup:ap-northeast-2:123456789012:recovery-point:7223c68a-a552-4b05-a656-7bc4627292f8 copied",
    "DynamoDB export to s3://acme-archive-apne2/ddb/orders/AWSDynamoDB/01700000000000-3f9aa884/ done",
    "RDS export task export-billing-20261124 COMPLETE",
    "Data exported to Google Drive folder Finance/Closed accounts/2026",
    "Backup verified by restoring billing.sql into a scratch DB (row counts match)",
    "tar -czf /backup/configs-2026-11-24.tar.gz /etc/nginx /etc/ssl/certs",
    "rclone copy s3:acme-prod-assets gdrive:archive/acme-prod-assets --checksum OK",
    "commit 2328cc2627c0b411304512e884a345d6a9ad7650 tagged closeacct-final",
    "object key exports/2026/11/billing-report-2026-11-24T0900Z.parquet",
    "Glacier archive id list saved to ~/closeacct/glacier-ids.txt",
    "UUID of the export: d9435541-4fe0-4802-b435-a5736e8cd94e",
    // --- E-mails, people, dates.
    "Confirmation e-mail from aws-account-closure@amazon.com received 2026-11-24 14:02 UTC",
    "Closure confirmation mail received 2026-11-25 09:30 KST, forwarded to finance@acme.example",
    "Customer contact: minji.kim@acme.co.kr, +82 2 555 0142",
    "Root e-mail changed to closed+123456789012@acme.example before closure",
    "Approved by cfo@acme.example on 2026-11-21",
    "Notified security@acme.example and the Bespin account manager (soyeon.lee@bespinglobal.example)",
    "Contact for the partner side: support@bespinglobal.com, 1661-0000",
    "Waiting for AWS: they said 24-48h",
    "AWS replied 2026-11-26: account suspended, permanent closure after 90 days (2027-02-22)",
    "Post-closure period ends 2027-02-22; can reopen until then",
    "Reminder set for 2026-12-03 to check the final invoice",
    "Account closed 2026-11-24T14:05:00Z by ana",
    "Scheduled for 2026-12-01 after the month-end invoice",
    "done at 14:05 KST",
    "Done.",
    "ok",
    "n/a - no org",
    "not applicable: standalone account",
    "Skipped: no Reserved Instances",
    "no members left",
    "Customer says no data needs keeping (signed off in writing, see CS-2026-11-0042)",
    // --- Notes about secrets, credentials and MFA (no secret in them).
    "rotated the root password, stored in 1Password",
    "token: see vault",
    "password: in 1Password",
    "secret: stored in the vault",
    "password: reset by the customer",
    "MFA device removed",
    "Root MFA device (hardware, serial GAHT12345678) deregistered and returned to IT",
    "MFA token serial GAHT12345678 returned to IT",
    "root password rotated 2026-11-20, new one in the Bespin vault under prod/root",
    "All IAM access keys deactivated, then deleted (3 keys, last used 2026-09)",
    "Access keys: none left on the root user",
    "api keys: none",
    "Deleted the OpsNow API token and the CenturyLink API key",
    "Revoked the GitHub deploy keys and the Slack bot token",
    "Password policy left at default",
    "passwords: unchanged",
    "password: rotated",
    "token: revoked",
    "API key: deleted",
    "client secret: expired",
    "secret key: removed from the CI settings",
    "The root password is kept by the customer's security team",
    "The password was reset by the customer on 2026-11-20",
    "Credentials for the break-glass user are in Secrets Manager (prod/breakglass)",
    "password: see vault, path secret/closeacct/acct-1",
    "api_key=<redacted>",
    "password=********",
    "DB_PASSWORD=${DB_PASSWORD}",
    "token: [REDACTED]",
    "aws_secret_access_key = (removed)",
    "password: n/a",
    "secret: none",
    "password=xxxxxx",
    "Authorization: Bearer <token>",
    "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    "password: $RDS_MASTER_PASSWORD",
    "pwd=abc12",
    "NextToken: AAAAAHhKq4bGwZ1l2c2R4dGFnLWxpc3QtcGFnZS0yMDI2LTExLTI0VDE0OjA1",
    "ClientToken=closeacct-acct-1-2026-11-24",
    "continuation token came back empty, list is complete",
    "Session token expired, re-ran aws sso login",
    "Login via SSO only; no IAM users with passwords remain",
    "Removed password login for the IAM users (console access disabled)",
    "Forgot-password flow sent the link to the root e-mail, used it to reset",
    "Secret rotation Lambda disabled before deleting the secrets",
    "Deleted key pair prod-bastion-2022 from EC2 (the .pem is in the ops vault)",
    "SSH keys removed from the bastion authorized_keys",
    "Private key for the CloudFront key group deleted from Secrets Manager",
    "public key fingerprint SHA256:Fn7aK3mQ9xLr2VtY5bZc8WdE1hGj4sKu6oPq0iNl3Mw",
    "KMS key deletion: 30 day waiting period",
    "IAM Identity Center: all permission sets unassigned",
    "Token-based auth for the partner portal will be turned off by Bespin",
    "Customer's password manager: Bitwarden, entry 'AWS root acct-1'",
    "비밀번호는 고객사 보안팀이 보관",
    "비밀번호: 고객이 직접 변경함",
    "루트 비밀번호 변경 완료, 1Password에 저장",
    "API 키 삭제 완료",
    "토큰: 볼트 참조",
    "MFA 장치 제거 완료",
    "액세스 키 3개 모두 삭제",
    // --- OpsNow, CenturyLink and partner notes.
    "OpsNow Billing: account 123456789012 removed from the customer's billing group on 2026-11-22",
    "OpsNow Billing export for 2026-10 downloaded (opsnow-billing-2026-10.xlsx)",
    "OpsNow dashboard shows $0 forecast for December",
    "OpsNow asset inventory: 0 running resources in ap-northeast-2",
    "CenturyLink: Cloud Application Manager subscription cancelled, ref CTL-558210",
    "CenturyLink control portal: servers WA1ACME-WEB01 and WA1ACME-DB01 archived",
    "CenturyLink billing account BAN 4402918733 closed; last invoice 2026-11-30",
    "Lumen (formerly CenturyLink) case 03451278 opened for the final invoice",
    "Bespin Global confirmed the account is off the consolidated bill from December",
    "MSP contract annex updated (Bespin ref CSP-2026-0831)",
    "Partner removed the account from AWS Partner Central, opportunity O1234567",
    "Bespin AM: 김지훈 매니저, 02-1234-5678",
    "Billing transfer to Bespin ended, payer now 210987654321",
    "OpsNow alert rule 'daily-cost>10' deleted",
    "Bespin CSP portal shows status Closed",
    // --- Korean prose.
    "계정 해지 요청 완료, AWS에서 확인 메일 수신 (2026-11-24 23:05 KST)",
    "서울 리전(ap-northeast-2) EC2 인스턴스 전부 종료함",
    "S3 버킷 12개 백업 후 삭제, 백업 위치 s3://acme-archive-apne2/",
    "최종 청구서 금액 ₩48,200, 12월 3일 결제 예정",
    "베스핀 담당자에게 해지 사실 공유함",
    "조직(Organizations)에서 멤버 계정 3개 제거 완료",
    "예약 인스턴스 없음",
    "고객사 재무팀 승인 받음 (메일 2026-11-21)",
    "루트 계정 MFA 해제 후 해지 진행",
    "90일 후 완전 삭제 예정 (2027-02-22)",
    "OpsNow 빌링에서 계정 제외 확인",
    "센추리링크 포털 계정 해지 요청, 접수번호 558210",
    "백업 검증 완료: 파일 수 18,203개, 용량 412GiB",
    "해당 없음 - 단독 계정",
    "RDS 최종 스냅샷 생성 후 인스턴스 삭제",
    // --- Commands and technical notes.
    "aws organizations remove-account-from-organization --account-id 123456789012",
    "aws account close-account --account-id 123456789012 (from the management account)",
    "aws ec2 describe-instances --region ap-northeast-2 --filters Name=instance-state-name,Values=running returned nothing",
    "aws s3api list-buckets --query 'Buckets[].Name' shows 0 buckets",
    "ran cloud-nuke aws --region ap-northeast-2 --exclude-resource-type iam",
    "terraform destroy -target=module.billing completed, 143 resources destroyed",
    "kubectl delete ns billing --wait=true",
    "aws iam list-access-keys --user-name ci-deploy returned []",
    "aws sts get-caller-identity: arn:aws:sts::123456789012:assumed-role/OrganizationAccountAccessRole/ana",
    "aws secretsmanager delete-secret --secret-id prod/db/root --recovery-window-in-days 7",
    "aws ssm delete-parameter --name /prod/billing/api-token",
    "aws iam delete-login-profile --user-name ops-readonly",
    "aws iam update-access-key --access-key-id (all of them) --status Inactive",
    "aws configure list --profile old shows no credentials",
    "export AWS_PROFILE=acme-prod AWS_REGION=ap-northeast-2",
    "env: AWS_DEFAULT_REGION=ap-northeast-2",
    "gh secret list --repo acme/billing returned nothing",
    "vault kv delete secret/closeacct/acct-1",
    "pg_dump -h db.prod.internal -U billing billing > billing.sql (password from ~/.pgpass)",
    "mysqldump --defaults-extra-file=/root/.my.cnf --all-databases > /backup/all.sql",
    "curl -s https://api.opsnow.example/v1/accounts/123456789012 returned 404 as expected",
    "https://console.aws.amazon.com/billing/home#/bills?year=2026&month=11",
    "https://us-east-1.console.aws.amazon.com/support/home#/case/?displayId=17299384821",
    "Docs: https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-closing.html",
    "Cost and Usage Report definition cur-daily deleted",
    "Marketplace subscriptions: 2 cancelled (Datadog, CrowdStrike)",
    "Support plan downgraded from Business to Basic on 2026-11-01",
    "Route 53 domain acme-old.com transferred out, auth code sent to the registrar by e-mail",
    "WorkSpaces directory d-9067a1b2c3 deregistered",
    "Directory Service d-9067a1b2c3 deleted",
    "CodeCommit repo archived to GitHub acme/legacy-billing",
    "ElastiCache cluster billing-cache-001 deleted (final snapshot billing-cache-final)",
    "OpenSearch domain logs-2026 deleted after snapshot to s3://acme-archive-apne2/es/",
    "Lightsail instances: none",
    "SES identity acme.example removed",
    "GuardDuty detector 12abc34d567e8fa901bc2d34e56789f0 disabled",
    "Security Hub disabled in all regions",
    "Config recorder default stopped",
    "IAM Access Analyzer findings: 0",
    "Organizations SCP p-a1b2c3d4 detached",
    "OU ou-ab12-cdef3456 now empty",
    "root id r-ab12",
    "Control Tower landing zone decommissioned",
    "SAML provider arn:aws:iam::123456789012:saml-provider/AzureAD deleted",
    "OIDC provider token.actions.githubusercontent.com deleted",
    "IAM user names: ci-deploy, ops-readonly, billing-export (all deleted)",
    "S3 bucket policy allowed 210987654321 read access; removed",
    "Pre-signed URLs stop working when the account closes",
    "The final bill for November arrives around 2026-12-03",
    "Waiting on the AWS billing team for the credit memo CM-2026-1187",
    "Invoice EUINGB26-1234567 refunded",
    "Invoice number 1234567890 paid via card ending 4242",
    "PO 4500012345 closed by procurement",
    "CloudWatch log groups exported: /aws/lambda/invoice-export, /aws/rds/instance/billing/postgresql",
    "Log group /aws/eks/prod-apne2/cluster retention set to 1 day before deletion",
    "Instance profile arn:aws:iam::123456789012:instance-profile/BillingWorker deleted",
    "Key fingerprint 3a:4b:5c:6d:7e:8f:90:a1:b2:c3:d4:e5:f6:07:18:29 (removed from EC2)",
    "Checked the AWS Health dashboard: no open events",
    "Trusted Advisor check ids: Qch7DwouX1, Hs4Ma3G211 — no findings",
    "version 1.4.2 of the export tool, build 2026.11.24-1",
    "Confirmed with the customer on a call (Teams, 2026-11-24 15:00 KST, 25 min)",
    "Screenshot of the closed account page saved as closed-123456789012.png",
    "Account alias acme-prod-billing removed",
    "The account is in SUSPENDED state as of 2026-11-24",
    "Step done by ana on behalf of the customer (see e-mail thread 'AWS closure acct-1')",
    // --- Harder cases: key names, request ids, tags, references that sit next to secret words.
    "Root MFA token: GAHT12345678 (hardware), deregistered",
    "Login: root e-mail acct-1@acme.example, password: customer-held",
    "API key: OpsNow-Prod-2024 (deleted)",
    "API token: OpsNow prod (created 2024-03-01) revoked",
    "token: PagerDuty integration removed",
    "API key: CenturyLink portal one, deleted by Lumen support",
    "secret: AWSCURRENT version promoted before deletion",
    "account key: storage account bespinbackup rotated",
    "token: 6-digit TOTP from the root MFA app",
    "token=expired",
    "password: CS-2026-11-0042 (reset request)",
    "Password: reset via ticket CS-2026-11-0042",
    "secret: prod/db/root-AbCdEf",
    "Access key: ci-deploy-2024 deleted",
    "token: closeacct-ci-2024 revoked",
    "Secret name: prod/db/root",
    "RoleId AROAB0Y07NYRVD5RXI67N (OrganizationAccountAccessRole) deleted",
    "x-amz-request-id: 4442587FB7D0A2F9, x-amz-id-2: vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=",
    "restored VersionId 3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo of invoices.csv",
    "Cognito user pool ap-northeast-2_AbC123dEf deleted",
    "aws ec2 create-tags --resources i-0a1b2c3d4e5f67890 --tags Key=rotate-secret,Value=monthly",
    "Tags: Key=contains-secret,Value=yes Key=Owner,Value=billing-team",
    "aws ssm put-parameter --name /prod/db/password --value file://pw.txt --type SecureString",
    "aws secretsmanager create-secret --name prod/db/root --secret-string file://root.json",
    r#"{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:ap-northeast-2:123456789012:parameter/prod/db/password"}"#,
    "ParameterKey=DBPassword,UsePreviousValue=true",
    "ECS task def billing-api:42 reads DB_PASSWORD from Secrets Manager",
    "API Gateway https://a1b2c3d4e5.execute-api.ap-northeast-2.amazonaws.com/prod deleted",
    "Access key ID ending in 9DJ2 deactivated (full id in the ticket)",
    "Secret scanning: GitHub found no leaked AWS keys in acme/billing",
    "Key pair: prod-bastion-2022 deleted",
    "Passcode for the DC visit was sent by SMS to the site manager",
];

#[test]
fn realistic_secrets_are_all_refused_with_their_kind() {
    assert!(SECRETS.len() >= 110, "only {} secret samples", SECRETS.len());
    let mut missed = Vec::new();
    let mut wrong_kind = Vec::new();
    for &(sample, expected) in SECRETS {
        match find_secret(sample) {
            None => missed.push(sample),
            Some(kind) if kind != expected => {
                wrong_kind.push(format!("{sample:?}: expected {expected:?}, got {kind:?}"));
            }
            Some(_) => {}
        }
    }
    let refused = SECRETS.len() - missed.len();
    eprintln!(
        "secret samples: {refused}/{} refused, {} with the expected kind",
        SECRETS.len(),
        refused - wrong_kind.len()
    );
    assert!(
        missed.is_empty(),
        "{} of {} secrets were not refused:\n{}",
        missed.len(),
        SECRETS.len(),
        missed.join("\n")
    );
    assert!(wrong_kind.is_empty(), "secrets refused as the wrong kind:\n{}", wrong_kind.join("\n"));
}

#[test]
fn the_secret_samples_cover_every_kind() {
    for kind in SecretKind::ALL {
        assert!(SECRETS.iter().any(|&(_, k)| k == kind), "no secret sample of kind {kind:?}");
    }
}

#[test]
fn realistic_operator_notes_are_rarely_refused() {
    assert!(BENIGN.len() >= 220, "only {} benign notes", BENIGN.len());
    let refused: Vec<String> =
        BENIGN.iter().filter_map(|note| find_secret(note).map(|kind| format!("{note:?} as {kind:?}"))).collect();
    #[allow(clippy::cast_precision_loss)]
    let rate = refused.len() as f64 * 100.0 / BENIGN.len() as f64;
    eprintln!("benign notes: {}/{} refused ({rate:.1}% false positives)", refused.len(), BENIGN.len());
    for line in &refused {
        eprintln!("  refused: {line}");
    }
    assert!(
        refused.len() * 50 <= BENIGN.len(),
        "more than 2% of benign notes refused ({rate:.1}%):\n{}",
        refused.join("\n")
    );
}

#[test]
fn a_secret_is_found_wherever_it_sits_in_a_longer_note() {
    let padding = "Closed the account per CS-2026-11-0042; backups in s3://acme-archive-apne2/. ";
    for &(sample, expected) in SECRETS.iter().step_by(7) {
        for text in
            [format!("{padding}{sample}"), format!("{sample}\n{padding}"), format!("{padding}\n{sample}\n{padding}")]
        {
            assert_eq!(find_secret(&text), Some(expected), "in {text:?}");
        }
    }
}

#[test]
fn kind_phrases_name_the_kind_and_carry_no_secret() {
    for kind in SecretKind::ALL {
        let phrase = kind.phrase();
        assert_eq!(kind.to_string(), phrase);
        assert!(phrase.starts_with("a ") || phrase.starts_with("an ") || phrase.starts_with("HTTP "), "{phrase}");
    }
}

// ---------------------------------------------------------------------------------------------
// Through the binary.

/// A started run of the small checklist for `acct-1`, with `org` answered `no`.
fn started() -> Small {
    let run = Small::new();
    run.closeacct("start", &["--fact", "org=no"]).status(0);
    run
}

/// Runs a command that must be refused for `secret`: exit 65, a message naming `what` and
/// `kind`, nothing of the secret on stdout or stderr, and the log byte for byte unchanged.
#[track_caller]
fn refuses(run: &Small, command: &str, rest: &[&str], what: &str, kind: SecretKind, secret: &str) {
    let before = run.log();
    let Output { stdout, stderr, .. } = run.closeacct(command, rest).status(65);
    let expected = format!("refusing to record {what}: it contains what looks like {}", kind.phrase());
    assert!(stderr.contains(&expected), "expected {expected:?} in:\n{stderr}");
    for output in [&stdout, &stderr] {
        for fragment in fragments(secret) {
            assert!(!output.contains(fragment), "output echoes {fragment:?} of the secret:\n{output}");
        }
    }
    assert_eq!(run.log(), before, "the state file changed after a refusal");
}

/// Every 6-character window of the secret that looks like part of a credential (so that
/// ordinary words around it, such as "password", are not demanded absent from the message).
fn fragments(secret: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = secret.char_indices().collect();
    (0..chars.len().saturating_sub(5))
        .map(|i| {
            let end = chars.get(i + 6).map_or(secret.len(), |&(at, _)| at);
            &secret[chars[i].0..end]
        })
        .filter(|w| w.bytes().any(|b| b.is_ascii_digit()) || w.bytes().any(|b| b"!@#$%^&*+/~".contains(&b)))
        .collect()
}

#[test]
fn a_secret_in_a_note_is_refused_and_nothing_is_written() {
    let run = started();
    let cases: [(&str, SecretKind, &str); 5] = [
        (
            "aws_secret_access_key = MJzjtPrcWC3f5fMqIY3Dwarw4xQTQzKEe7+PR9qR",
            K::AwsSecretAccessKey,
            "MJzjtPrcWC3f5fMqIY3Dwarw4xQTQzKEe7+PR9qR",
        ),
        ("backed up with PGPASSWORD=DmrtDCCPrQRm0V pg_dump", K::Password, "DmrtDCCPrQRm0V"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQZlGvwTAwY4zDpZDs4det72\n-----END OPENSSH PRIVATE KEY-----",
            K::PrivateKey,
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQZlGvwTAwY4zDpZDs4det72",
        ),
        ("루트 비밀번호: 5nl3Pvfe9zML@j", K::Password, "5nl3Pvfe9zML@j"),
        (
            "SLACK_BOT_TOKEN=xoxb-415594509454-8493571713787-GUKRnMxwJbn9OsXuGRdefJYv",
            K::SlackToken,
            "415594509454-8493571713787-GUKRnMxwJbn9OsXuGRdefJYv",
        ),
    ];
    for (note, kind, secret) in cases {
        // A PEM block starts with `-`, and is still taken as the note's value.
        refuses(&run, "confirm", &["backup", "--note", note], "the note for step `backup`", kind, secret);
    }
    // A note added to a step already done is screened the same way.
    run.closeacct("confirm", &["backup", "--note", "copied to s3://acme-archive-apne2/2026-11-24/"]).status(0);
    refuses(
        &run,
        "confirm",
        &["backup", "--note", "restore test used AKIALACI35K21PEA9DJ2"],
        "the note for step `backup`",
        K::AwsAccessKeyId,
        "AKIALACI35K21PEA9DJ2",
    );
    let log = run.log();
    assert!(log.contains("copied to s3://acme-archive-apne2/2026-11-24/"), "the benign note is recorded:\n{log}");
}

#[test]
fn a_secret_in_evidence_is_refused_and_nothing_is_written() {
    let run = started();
    run.closeacct("confirm", &["backup"]).status(0);
    let cases: [(&str, SecretKind, &str); 4] = [
        (
            "CS-2026-11-0042 opened via API with Authorization: Bearer Cc8Y3tLj1PhkOLdZ6C92f3SnblMto4sv",
            K::BearerToken,
            "Cc8Y3tLj1PhkOLdZ6C92f3SnblMto4sv",
        ),
        ("ticket filed from https://admin:Summer2026!@support.bespin.example/new", K::UrlWithPassword, "Summer2026!"),
        ("case 17299384821, key AKIARXI6VBTCJBS73Z4Z", K::AwsAccessKeyId, "AKIARXI6VBTCJBS73Z4Z"),
        ("INC0012345 api_key=u42O5XDeZCovoWOeH25XqjmQljf2C2DX", K::ApiToken, "u42O5XDeZCovoWOeH25XqjmQljf2C2DX"),
    ];
    for (evidence, kind, secret) in cases {
        refuses(&run, "confirm", &["ticket", "--evidence", evidence], "the evidence for step `ticket`", kind, secret);
    }
    // The same evidence without the secret is recorded.
    run.closeacct("confirm", &["ticket", "--evidence", "CS-2026-11-0042"]).status(0);
}

#[test]
fn a_secret_in_a_skip_reason_is_refused_and_nothing_is_written() {
    let run = started();
    let cases: [(&str, &str, SecretKind, &str); 3] = [
        (
            "backup",
            "customer keeps its own copy; their export used secret key HmE+tWN2EABTPu1m0ugeWOg7GLqwSBIPt3oILT9R",
            K::AwsSecretAccessKey,
            "HmE+tWN2EABTPu1m0ugeWOg7GLqwSBIPt3oILT9R",
        ),
        ("backup", "done by the partner, password: Gd7!kz9Qw", K::Password, "Gd7!kz9Qw"),
        (
            "backup",
            "partner did it with ghp_3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE",
            K::GitHubToken,
            "3D5i3uFKcXn448gM0rsSIfZgPJ4Xh2XiVdvE",
        ),
    ];
    for (step, reason, kind, secret) in cases {
        let what = format!("the reason for skipping step `{step}`");
        refuses(&run, "skip", &[step, "--reason", reason], &what, kind, secret);
    }
    run.closeacct("skip", &["backup", "--reason", "customer keeps its own copy (CS-2026-11-0042)"]).status(0);
}
