//! The ZIP: record.json (the canonical record), signature.json (Ed25519 over `RECORD_FORMAT`, a newline, then
//! record.json's bytes), crops/*.png for a case, README.txt. `check` verifies a package offline with nothing but
//! the public key inside it (the auditor pins that key: README.md, "Evidence packages").

use std::io::{Cursor, Read, Write};

use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::record::{FileHash, RECORD_FORMAT};
use crate::vault::ServiceKeys;

/// The signature file, beside record.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureFile {
    pub format: String,
    pub algorithm: String,
    /// The first 16 hex characters of SHA-256 over the raw public key.
    pub key_id: String,
    /// Hex Ed25519 public key: the service's audit-checkpoint signing key.
    pub public_key: String,
    /// Hex Ed25519 signature over `signed_message(record.json)`.
    pub signature: String,
}

/// A package's files, in the order written.
pub struct Files<'a> {
    pub record: &'a [u8],
    pub crops: &'a [(FileHash, &'a [u8])],
}

const README: &str = "faceverify evidence package

record.json     what the service decided about one verification (and, for a case, what the analysts decided):
                reasons, thresholds, model file hashes, the hash of the request's inputs, times. No images,
                no biometric templates; the subject appears as the keyed pseudonym of the audit log.
signature.json  an Ed25519 signature over the line \"faceverify-evidence/v1\", a newline (0x0A), then the
                bytes of record.json exactly as stored; with the signing public key and its key id.
crops/*.png     (case packages) the face crops the analysts reviewed; record.json lists each one's SHA-256.
record.qualified.p7s  (optional, added by the lender) a qualified e-signature (detached CMS) over the same bytes
                as signature.json; checked with the signer's own tools (e.g. NCANode).

To verify, offline and without any secret:  faceverify evidence verify THIS.zip --public-key HEX
where HEX is the service's public key as you recorded it beforehand (the public_key of a checkpoint written by
`faceverify audit checkpoint`). Any Ed25519 and SHA-256 implementation can do the same checks by hand.
";

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the Ed25519 signature (and a second, qualified signature, if the lender adds one) covers.
pub fn signed_message(record: &[u8]) -> Vec<u8> {
    let mut message = format!("{RECORD_FORMAT}\n").into_bytes();
    message.extend_from_slice(record);
    message
}

/// The key id of an Ed25519 public key.
pub fn key_id(public_key: &VerifyingKey) -> String {
    sha256_hex(public_key.as_bytes())[..16].to_owned()
}

/// `record` signed with the service's checkpoint key.
pub fn sign(keys: &ServiceKeys, record: &[u8]) -> SignatureFile {
    let public = keys.verifying_key();
    SignatureFile {
        format: RECORD_FORMAT.to_owned(),
        algorithm: "Ed25519".to_owned(),
        key_id: key_id(&public),
        public_key: hex::encode(public.as_bytes()),
        signature: hex::encode(keys.sign(&signed_message(record))),
    }
}

/// The ZIP (entries stored uncompressed: PNGs are compressed already).
pub fn write(files: &Files<'_>, signature: &SignatureFile) -> Result<Vec<u8>, zip::result::ZipError> {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let signature = serde_json::to_vec_pretty(signature).map_err(std::io::Error::other)?;
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let mut entries: Vec<(&str, &[u8])> =
        vec![("README.txt", README.as_bytes()), ("record.json", files.record), ("signature.json", &signature)];
    entries.extend(files.crops.iter().map(|(hash, bytes)| (hash.path.as_str(), *bytes)));
    for (name, bytes) in entries {
        zip.start_file(name, options)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// What `faceverify evidence verify` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Every check passed.
    pub ok: bool,
    pub key_id: Option<String>,
    pub public_key: Option<String>,
    /// The public key matched the one the caller pinned (`null`: none was pinned).
    pub pinned_key_matches: Option<bool>,
    pub signature_valid: bool,
    /// The package carries the lender's qualified e-signature (`QUALIFIED_SIGNATURE`; not checked here).
    pub qualified_signature_present: bool,
    pub kind: Option<String>,
    pub verification_id: Option<String>,
    pub case_id: Option<String>,
    /// Each file the record lists, and whether its bytes hash to what the record says.
    pub files: Vec<FileCheck>,
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct FileCheck {
    pub path: String,
    pub ok: bool,
}

/// Where the lender adds its qualified e-signature over `signed_message(record.json)` (README.md).
pub const QUALIFIED_SIGNATURE: &str = "record.qualified.p7s";

/// A package larger than this is refused unread.
const MAX_PACKAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Checks `zip`: the signature over record.json under the public key in the package (and that key against
/// `pinned`, when given), then every crop the record lists against its hash, and that nothing else is in it.
pub fn check(zip: &[u8], pinned: Option<&str>) -> Report {
    let mut report = Report {
        ok: false,
        key_id: None,
        public_key: None,
        pinned_key_matches: None,
        signature_valid: false,
        qualified_signature_present: false,
        kind: None,
        verification_id: None,
        case_id: None,
        files: Vec::new(),
        problems: Vec::new(),
    };
    let entries = match read_entries(zip) {
        Ok(entries) => entries,
        Err(problem) => {
            report.problems.push(problem);
            return report;
        }
    };
    let find = |name: &str| entries.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice());
    let (Some(record), Some(signature)) = (find("record.json"), find("signature.json")) else {
        report.problems.push("record.json or signature.json is missing".into());
        return report;
    };
    match serde_json::from_slice::<SignatureFile>(signature) {
        Ok(signature) => check_signature(&mut report, record, &signature, pinned),
        Err(_) => report.problems.push("signature.json is not a signature file".into()),
    }
    let listed = match serde_json::from_slice::<Listed>(record) {
        Ok(listed) => listed,
        Err(_) => {
            report.problems.push("record.json is not an evidence record".into());
            return report;
        }
    };
    if listed.format != RECORD_FORMAT {
        report.problems.push(format!("unknown record format {:?}", listed.format));
    }
    report.kind = Some(listed.kind);
    report.verification_id = Some(listed.verification.id);
    let (case_id, crops) = listed.case.map(|c| (Some(c.id), c.crops)).unwrap_or_default();
    report.case_id = case_id;
    for crop in &crops {
        let ok = find(&crop.path).is_some_and(|bytes| sha256_hex(bytes) == crop.sha256);
        if !ok {
            report.problems.push(format!("{} is missing or does not match its hash", crop.path));
        }
        report.files.push(FileCheck { path: crop.path.clone(), ok });
    }
    for (name, _) in &entries {
        let known = ["README.txt", "record.json", "signature.json", QUALIFIED_SIGNATURE].contains(&name.as_str())
            || crops.iter().any(|c| &c.path == name);
        if !known {
            report.problems.push(format!("{name} is not part of the signed record"));
        }
    }
    report.qualified_signature_present = find(QUALIFIED_SIGNATURE).is_some();
    report.ok = report.problems.is_empty() && report.signature_valid;
    report
}

fn check_signature(report: &mut Report, record: &[u8], signature: &SignatureFile, pinned: Option<&str>) {
    report.key_id = Some(signature.key_id.clone());
    report.public_key = Some(signature.public_key.clone());
    if let Some(pinned) = pinned {
        let matches = pinned.trim().eq_ignore_ascii_case(&signature.public_key);
        report.pinned_key_matches = Some(matches);
        if !matches {
            report.problems.push("signed with another key than the pinned one".into());
        }
    }
    let mut public = [0u8; 32];
    let mut raw = [0u8; 64];
    let decoded = hex::decode_to_slice(&signature.public_key, &mut public).is_ok()
        && hex::decode_to_slice(&signature.signature, &mut raw).is_ok();
    let Some(key) = decoded.then(|| VerifyingKey::from_bytes(&public).ok()).flatten() else {
        report.problems.push("the public key or signature is malformed".into());
        return;
    };
    if key_id(&key) != signature.key_id {
        report.problems.push("the key id does not belong to the public key".into());
    }
    if signature.format != RECORD_FORMAT || signature.algorithm != "Ed25519" {
        report.problems.push("unknown signature format or algorithm".into());
    }
    report.signature_valid = key.verify_strict(&signed_message(record), &Signature::from_bytes(&raw)).is_ok();
    if !report.signature_valid {
        report.problems.push("the signature over record.json does not verify".into());
    }
}

/// The parts of the record `check` reads.
#[derive(Deserialize)]
struct Listed {
    format: String,
    kind: String,
    verification: ListedVerification,
    case: Option<ListedCase>,
}

#[derive(Deserialize)]
struct ListedVerification {
    id: String,
}

#[derive(Deserialize)]
struct ListedCase {
    id: String,
    crops: Vec<FileHash>,
}

/// Every entry's name and bytes; stored (uncompressed) entries only, within `MAX_PACKAGE_BYTES` in all.
fn read_entries(zip: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    if zip.len() as u64 > MAX_PACKAGE_BYTES {
        return Err("the package is too large".into());
    }
    let mut archive = ZipArchive::new(Cursor::new(zip)).map_err(|e| format!("not a ZIP file: {e}"))?;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(|e| format!("unreadable entry: {e}"))?;
        let name = file.name().map_err(|e| format!("unreadable entry name: {e}"))?.into_owned();
        if entries.iter().any(|(n, _)| n == &name) {
            return Err(format!("{name} appears twice"));
        }
        let mut bytes = Vec::new();
        file.take(MAX_PACKAGE_BYTES).read_to_end(&mut bytes).map_err(|e| format!("{name} is unreadable: {e}"))?;
        entries.push((name, bytes));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ServiceKeys {
        ServiceKeys::from_bytes([1; 32], [2; 32], [3; 32], 1)
    }

    fn signed_package(record: &[u8], crop: &[u8]) -> Vec<u8> {
        let crops = [(FileHash { path: "crops/selfie.png".into(), sha256: sha256_hex(crop) }, crop)];
        write(&Files { record, crops: &crops }, &sign(&keys(), record)).expect("zip")
    }

    fn record(crop: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "format": RECORD_FORMAT, "kind": "case", "verification": {"id": "v-1"},
            "case": {"id": "c-1", "crops": [{"path": "crops/selfie.png", "sha256": sha256_hex(crop)}]}
        }))
        .expect("json")
    }

    #[test]
    fn a_package_verifies_with_the_key_inside_it_and_the_pinned_one() {
        let zip = signed_package(&record(b"png"), b"png");
        let report = check(&zip, None);
        assert!(report.ok, "{report:?}");
        assert_eq!(report.key_id, Some(key_id(&keys().verifying_key())));
        assert_eq!(report.case_id.as_deref(), Some("c-1"));
        let pinned = hex::encode(keys().verifying_key().as_bytes());
        assert!(check(&zip, Some(&pinned)).ok);
        let other = ServiceKeys::from_bytes([1; 32], [2; 32], [4; 32], 1);
        assert!(!check(&zip, Some(&hex::encode(other.verifying_key().as_bytes()))).ok);
    }

    #[test]
    fn an_edited_record_or_crop_fails() {
        let mut edited = record(b"png");
        edited[3] ^= 1;
        let crops = [(FileHash { path: "crops/selfie.png".into(), sha256: sha256_hex(b"png") }, &b"png"[..])];
        let zip = write(&Files { record: &edited, crops: &crops }, &sign(&keys(), &record(b"png"))).expect("zip");
        let report = check(&zip, None);
        assert!(!report.ok && !report.signature_valid, "{report:?}");
        let report = check(&signed_package(&record(b"png"), b"pnh"), None);
        assert!(!report.ok && report.signature_valid, "{report:?}");
        assert!(!check(b"not a zip", None).ok);
    }

    #[test]
    fn only_the_qualified_signature_may_be_added() {
        let add = |name: &str| {
            let mut archive = ZipArchive::new(Cursor::new(signed_package(&record(b"png"), b"png"))).expect("zip");
            let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
            let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
            for i in 0..archive.len() {
                let mut file = archive.by_index(i).expect("entry");
                let entry_name = file.name().expect("name").into_owned();
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).expect("read");
                writer.start_file(entry_name, options).expect("start");
                writer.write_all(&bytes).expect("write");
            }
            writer.start_file(name, options).expect("start");
            writer.write_all(b"cms").expect("write");
            writer.finish().expect("finish").into_inner()
        };
        let report = check(&add(QUALIFIED_SIGNATURE), None);
        assert!(report.ok && report.qualified_signature_present, "{report:?}");
        assert!(!check(&add("extra.txt"), None).ok);
    }
}
