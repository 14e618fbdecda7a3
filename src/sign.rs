//! Signing a report with an SSH key, in the standard SSH signature format (`ssh-keygen -Y sign`,
//! namespace `closeacct`), so that stock OpenSSH verifies it with no closeacct installed:
//!
//! ```text
//! ssh-keygen -Y verify -f allowed_signers -I ops@example.com -n closeacct -s report.md.sig < report.md
//! ```
//!
//! The signature covers the report's exact bytes. It proves who signed that report (whoever holds
//! the key) and that the report has not changed since; it proves nothing about the log beyond
//! what the report quotes — its head, which `closeacct verify --head` checks against the log.

use std::path::Path;

use ssh_key::{HashAlg, LineEnding, PrivateKey};

use crate::bounded::{self, Unreadable};
use crate::error::{Error, Result};

/// The namespace every closeacct signature is made in (`ssh-keygen -n closeacct`).
pub(crate) const NAMESPACE: &str = "closeacct";

/// Private key files are small; anything larger is not one.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// An SSH signature (PEM, `-----BEGIN SSH SIGNATURE-----`) of `message` by the private key in
/// `key` (an OpenSSH private key file, as `ssh-keygen -Y sign -f` takes).
pub(crate) fn sign(message: &[u8], key: &Path) -> Result<String> {
    let bad_key = |reason: String| Error::BadKey { path: key.to_owned(), reason };
    let bytes = bounded::read(key, MAX_KEY_BYTES, true).map_err(|e| match e {
        Unreadable::NotFound => Error::NoSuchFile { path: key.to_owned() },
        other => bad_key(other.reason()),
    })?;
    if bytes.starts_with(b"ssh-") || bytes.starts_with(b"ecdsa-") {
        return Err(bad_key("it is a public key; --sign takes the private key (the file without `.pub`)".to_owned()));
    }
    let key =
        PrivateKey::from_openssh(&bytes).map_err(|e| bad_key(format!("it is not an OpenSSH private key ({e})")))?;
    if key.algorithm().is_rsa() {
        // ssh-key 0.6 fails to sign with RSA keys that stock ssh-keygen makes (RustCrypto/SSH#387).
        return Err(bad_key(
            "it is an RSA key, which closeacct cannot sign with yet; use an ed25519 or ECDSA (P-256, P-384) key, or sign the report with `ssh-keygen -Y sign -n closeacct -f KEY FILE`"
                .to_owned(),
        ));
    }
    if key.is_encrypted() {
        return Err(bad_key(
            "it is protected by a passphrase; use a key without one, or sign the report with `ssh-keygen -Y sign -n closeacct -f KEY FILE`"
                .to_owned(),
        ));
    }
    let signature =
        key.sign(NAMESPACE, HashAlg::Sha512, message).map_err(|e| bad_key(format!("it cannot sign ({e})")))?;
    signature.to_pem(LineEnding::LF).map_err(|e| Error::Internal { message: format!("cannot encode a signature: {e}") })
}
