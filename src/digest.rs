//! The sha256 digests closeacct pins and chains: of checklists, of log lines, of reports.
//!
//! Digests are shown and stored as lowercase hex; the chain check compares hex digits without
//! allocating, because it runs once for every line of a log.

use sha2::{Digest, Sha256};

/// Hex sha256 of some bytes.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&sha256(bytes))
}

/// The sha256 of some bytes, raw.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lowercase hex of a digest.
pub(crate) fn to_hex(digest: &[u8; 32]) -> String {
    hex_digits(digest).iter().map(|&digit| char::from(digit)).collect()
}

/// The lowercase hex digits of a digest, without allocating (the log's chain check compares them
/// for every line).
pub(crate) fn hex_digits(digest: &[u8; 32]) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0; 64];
    for (pair, &byte) in hex.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
