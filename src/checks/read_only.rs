//! The guard against checks that visibly change something.

use std::path::Path;

use super::template::Template;

/// aws operations that change something: prefixes of the operation name.
const AWS_WRITE_PREFIXES: &[&str] = &[
    "delete-",
    "terminate-",
    "remove-",
    "put-",
    "create-",
    "stop-",
    "modify-",
    "update-",
    "release-",
    "deregister-",
    "disable-",
    "cancel-",
    "revoke-",
    "reboot-",
    "run-",
];

/// aws operations that change something, by their whole name.
const AWS_WRITE_OPERATIONS: &[&str] = &["close-account", "leave-organization"];

/// `aws s3` commands that write.
const AWS_S3_WRITES: &[&str] = &["rm", "rb", "mv", "cp", "sync", "mb"];

/// aws options before the operation that take a value, so that value is not read as the
/// service or the operation.
const AWS_VALUE_OPTIONS: &[&str] = &[
    "--region",
    "--profile",
    "--output",
    "--endpoint-url",
    "--query",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

/// gcloud and az words that change something, wherever they appear.
const GCLOUD_AZ_WRITES: &[&str] = &["delete", "undelete", "cancel", "create", "update"];

/// The index of a word that makes the command visibly not read-only, and why.
///
/// This knows a few CLIs (`aws`, `gcloud`, `az`) and catches mistakes, such as a `delete-` where a
/// `describe-` was meant. It is not a sandbox: `sh -c`, another program, or an aws operation
/// outside the lists passes. The program, and for aws the service and operation, must be written
/// out rather than come from a placeholder, so the guard can see them.
pub(crate) fn not_read_only(argv: &[Template]) -> Option<(usize, String)> {
    let program = argv.first()?;
    let Some(program) = program.literal() else {
        return Some((0, "the program must be written out, not come from a placeholder".into()));
    };
    let name = Path::new(program).file_name().and_then(|n| n.to_str()).unwrap_or(program);
    match name {
        "aws" => {
            let mut positional = Vec::new();
            let mut i = 1;
            while i < argv.len() && positional.len() < 2 {
                let word = argv[i].literal();
                match word {
                    Some(w) if AWS_VALUE_OPTIONS.contains(&w) => i += 1,
                    Some(w) if w.starts_with('-') => {}
                    _ => positional.push(i),
                }
                i += 1;
            }
            let [service, operation] = positional[..] else { return None };
            let (Some(service_name), Some(op)) = (argv[service].literal(), argv[operation].literal()) else {
                let at = if argv[service].literal().is_none() { service } else { operation };
                return Some((
                    at,
                    "the aws service and operation must be written out, not come from a placeholder".into(),
                ));
            };
            let writes = AWS_WRITE_PREFIXES.iter().any(|p| op.starts_with(p))
                || AWS_WRITE_OPERATIONS.contains(&op)
                || (service_name == "s3" && AWS_S3_WRITES.contains(&op));
            writes.then(|| (operation, format!("`aws {service_name} {op}` is not read-only; a check may only look")))
        }
        "gcloud" | "az" => argv.iter().enumerate().skip(1).find_map(|(i, word)| {
            let w = word.literal()?;
            GCLOUD_AZ_WRITES
                .contains(&w)
                .then(|| (i, format!("`{name} … {w}` is not read-only; a check may only look")))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(argv: &[&str]) -> Option<(usize, String)> {
        not_read_only(&argv.iter().map(|w| Template::parse(w)).collect::<Vec<_>>())
    }

    #[test]
    fn aws_operations_that_write_are_refused() {
        for (argv, at) in [
            (&["aws", "ec2", "terminate-instances", "--instance-ids", "i-1"][..], 2),
            (&["aws", "--region", "eu-west-1", "ec2", "delete-volume"][..], 4),
            (&["aws", "--output=text", "--debug", "ec2", "--region", "x", "create-tags"][..], 6),
            (&["/usr/local/bin/aws", "organizations", "close-account"][..], 2),
            (&["aws", "organizations", "leave-organization"][..], 2),
            (&["aws", "s3", "rb", "s3://bucket"][..], 2),
            (&["aws", "s3api", "put-bucket-policy"][..], 2),
            (&["aws", "ec2", "stop-instances"][..], 2),
            (&["aws", "rds", "modify-db-instance"][..], 2),
            (&["aws", "iam", "update-user"][..], 2),
            (&["aws", "ec2", "release-address"][..], 2),
            (&["aws", "organizations", "remove-account-from-organization"][..], 2),
        ] {
            let (index, reason) = guard(argv).unwrap_or_else(|| panic!("{argv:?} passed"));
            assert_eq!(index, at, "{argv:?}");
            assert!(reason.ends_with("is not read-only; a check may only look"), "{reason}");
        }
    }

    #[test]
    fn aws_reads_pass() {
        for argv in [
            &["aws", "ec2", "describe-instances", "--region", "{region}"][..],
            &["aws", "--region", "delete-me", "ec2", "describe-volumes"][..],
            &["aws", "s3api", "list-buckets", "--query", "Buckets[?Name=='delete-x']"][..],
            &["aws", "s3", "ls"][..],
            &["aws", "organizations", "describe-organization"][..],
            &["aws"][..],
            &["aws", "ec2"][..],
            &["echo", "delete-everything"][..],
            &["gcloud", "compute", "instances", "list", "--filter", "status!=deleted"][..],
        ] {
            assert_eq!(guard(argv), None, "{argv:?}");
        }
    }

    #[test]
    fn gcloud_and_az_writes_are_refused_anywhere() {
        assert_eq!(guard(&["gcloud", "compute", "instances", "delete", "vm"]).unwrap().0, 3);
        assert_eq!(guard(&["gcloud", "projects", "undelete", "p"]).unwrap().0, 2);
        assert_eq!(guard(&["az", "vm", "update"]).unwrap().0, 2);
        assert_eq!(guard(&["az", "group", "create"]).unwrap().0, 2);
        assert_eq!(guard(&["gcloud", "billing", "accounts", "cancel"]).unwrap().0, 3);
    }

    #[test]
    fn placeholders_may_not_hide_the_program_or_the_aws_operation() {
        assert_eq!(guard(&["{tool}", "list"]).unwrap().0, 0);
        assert_eq!(guard(&["aws", "ec2", "{op}"]).unwrap().0, 2);
        assert_eq!(guard(&["aws", "{service}", "describe-x"]).unwrap().0, 1);
    }
}
