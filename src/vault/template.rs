//! Sealing face templates: AES-256-GCM under the subject's DEK, with associated data binding the ciphertext to
//! its record, subject and purpose, so a ciphertext moved to another row or subject does not open.

use uuid::Uuid;

use super::keys::{open, seal, DataKey};
use super::VaultError;
use crate::domain::Purpose;
use crate::pipeline::{Embedding, EMBEDDING_DIM};

/// What a sealed template is bound to: its row, the verification it came from, the subject and the purpose.
pub struct TemplateBinding<'a> {
    pub record_id: Uuid,
    pub verification_id: Uuid,
    pub subject: &'a str,
    pub purpose: Purpose,
}

impl TemplateBinding<'_> {
    fn aad(&self) -> Vec<u8> {
        let Self { record_id, verification_id, subject, purpose } = self;
        format!("faceverify/template/v2\0{record_id}\0{verification_id}\0{subject}\0{}", purpose.as_str()).into_bytes()
    }

    /// The binding of templates sealed before the verification id was bound (2026-11): still opened, so that
    /// existing galleries load; a v2 ciphertext never opens under it (the associated data differ).
    fn legacy_aad(&self) -> Vec<u8> {
        format!("faceverify/template/v1\0{}\0{}\0{}", self.record_id, self.subject, self.purpose.as_str()).into_bytes()
    }
}

/// Seals a face crop (PNG bytes) of a case, bound to the case, the crop kind and the subject.
pub fn seal_crop(key: &DataKey, png: &[u8], case_id: Uuid, kind: &str, subject: &str) -> Result<Vec<u8>, VaultError> {
    seal(&key.cipher(), png, &crop_aad(case_id, kind, subject))
}

pub fn open_crop(
    key: &DataKey,
    sealed: &[u8],
    case_id: Uuid,
    kind: &str,
    subject: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
    open(&key.cipher(), sealed, &crop_aad(case_id, kind, subject))
}

fn crop_aad(case_id: Uuid, kind: &str, subject: &str) -> Vec<u8> {
    format!("faceverify/crop/v1\0{case_id}\0{kind}\0{subject}").into_bytes()
}

pub fn seal_template(
    key: &DataKey,
    template: &Embedding,
    binding: &TemplateBinding<'_>,
) -> Result<Vec<u8>, VaultError> {
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(EMBEDDING_DIM * 4));
    for v in template.as_slice() {
        plain.extend_from_slice(&v.to_le_bytes());
    }
    seal(&key.cipher(), &plain, &binding.aad())
}

pub fn open_template(key: &DataKey, sealed: &[u8], binding: &TemplateBinding<'_>) -> Result<Embedding, VaultError> {
    let cipher = key.cipher();
    let plain = open(&cipher, sealed, &binding.aad()).or_else(|_| open(&cipher, sealed, &binding.legacy_aad()))?;
    if plain.len() != EMBEDDING_DIM * 4 {
        return Err(VaultError::Integrity);
    }
    let mut raw = [0.0f32; EMBEDDING_DIM];
    for (dst, chunk) in raw.iter_mut().zip(plain.chunks_exact(4)) {
        *dst = f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Embedding::normalised(raw).ok_or(VaultError::Integrity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::Kek;

    fn embedding(seed: f32) -> Embedding {
        let mut raw = [0.0f32; EMBEDDING_DIM];
        for (i, v) in raw.iter_mut().enumerate() {
            *v = ((i as f32 + seed) * 0.37).sin();
        }
        Embedding::normalised(raw).expect("non-zero")
    }

    fn binding(subject: &str) -> TemplateBinding<'_> {
        TemplateBinding {
            record_id: Uuid::nil(),
            verification_id: Uuid::nil(),
            subject,
            purpose: Purpose::Identification,
        }
    }

    #[test]
    fn seal_open_round_trips_and_never_holds_plaintext() {
        let key = DataKey::generate().expect("key");
        let e = embedding(1.0);
        let sealed = seal_template(&key, &e, &binding("S1")).expect("seal");
        let plain_prefix: Vec<u8> = e.as_slice()[..4].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert!(!sealed.windows(plain_prefix.len()).any(|w| w == plain_prefix.as_slice()));
        let opened = open_template(&key, &sealed, &binding("S1")).expect("open");
        assert!((opened.cosine(&e) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let key = DataKey::generate().expect("key");
        let sealed = seal_template(&key, &embedding(2.0), &binding("S1")).expect("seal");
        for bit in 0..sealed.len() * 8 {
            let mut tampered = sealed.clone();
            tampered[bit / 8] ^= 1 << (bit % 8);
            assert!(matches!(open_template(&key, &tampered, &binding("S1")), Err(VaultError::Integrity)), "bit {bit}");
        }
    }

    #[test]
    fn a_template_does_not_open_under_another_subject_purpose_or_key() {
        let key = DataKey::generate().expect("key");
        let sealed = seal_template(&key, &embedding(3.0), &binding("S1")).expect("seal");
        assert!(open_template(&key, &sealed, &binding("S2")).is_err());
        let other_purpose = TemplateBinding { purpose: Purpose::AntiFraud, ..binding("S1") };
        assert!(open_template(&key, &sealed, &other_purpose).is_err());
        let other_verification = TemplateBinding { verification_id: Uuid::new_v4(), ..binding("S1") };
        assert!(open_template(&key, &sealed, &other_verification).is_err(), "bound to its verification");
        assert!(open_template(&DataKey::generate().expect("key"), &sealed, &binding("S1")).is_err());
    }

    #[test]
    fn templates_sealed_before_v2_still_open_and_v2_ones_do_not_downgrade() {
        let key = DataKey::generate().expect("key");
        let b = binding("S1");
        let mut plain = Vec::new();
        for v in embedding(5.0).as_slice() {
            plain.extend_from_slice(&v.to_le_bytes());
        }
        let legacy = seal(&key.cipher(), &plain, &b.legacy_aad()).expect("seal v1");
        assert!(open_template(&key, &legacy, &b).is_ok(), "a v1 template opens");
        let v2 = seal_template(&key, &embedding(5.0), &b).expect("seal v2");
        assert!(open(&key.cipher(), &v2, &b.legacy_aad()).is_err(), "a v2 template never opens as v1");
    }

    #[test]
    fn data_keys_wrap_under_the_kek_and_bind_to_their_subject() {
        let kek = Kek::from_bytes("k1", [7u8; 32]);
        let dek = DataKey::generate().expect("key");
        let wrapped = dek.wrap(&kek, "S1").expect("wrap");
        let back = DataKey::unwrap(&wrapped, &kek, "S1").expect("unwrap");
        let sealed = seal_template(&dek, &embedding(4.0), &binding("S1")).expect("seal");
        assert!(open_template(&back, &sealed, &binding("S1")).is_ok());
        assert!(DataKey::unwrap(&wrapped, &kek, "S2").is_err());
        let other = Kek::from_bytes("k2", [8u8; 32]);
        assert!(matches!(DataKey::unwrap(&wrapped, &other, "S1"), Err(VaultError::UnknownKek(_))));
        assert_eq!(format!("{dek:?}"), "DataKey(<redacted>)");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn embedding_from(values: &[f32]) -> Option<Embedding> {
        let mut raw = [0.0f32; EMBEDDING_DIM];
        raw.copy_from_slice(values);
        Embedding::normalised(raw)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_template_round_trips(values in proptest::collection::vec(-1.0f32..1.0, EMBEDDING_DIM), subject in "[A-Z0-9-]{1,16}") {
            let Some(template) = embedding_from(&values) else { return Ok(()) };
            let key = DataKey::generate().expect("key");
            let binding = TemplateBinding { record_id: Uuid::new_v4(), verification_id: Uuid::new_v4(), subject: &subject, purpose: Purpose::AntiFraud };
            let sealed = seal_template(&key, &template, &binding).expect("seal");
            let opened = open_template(&key, &sealed, &binding).expect("open");
            prop_assert!((opened.cosine(&template) - 1.0).abs() < 1e-5);
        }

        #[test]
        fn any_bit_flip_anywhere_is_rejected(values in proptest::collection::vec(-1.0f32..1.0, EMBEDDING_DIM), bit in any::<prop::sample::Index>()) {
            let Some(template) = embedding_from(&values) else { return Ok(()) };
            let key = DataKey::generate().expect("key");
            let binding = TemplateBinding { record_id: Uuid::nil(), verification_id: Uuid::nil(), subject: "S", purpose: Purpose::Identification };
            let mut sealed = seal_template(&key, &template, &binding).expect("seal");
            let bit = bit.index(sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(open_template(&key, &sealed, &binding).map(|_| ()), Err(VaultError::Integrity));
        }

        #[test]
        fn truncated_or_extended_ciphertexts_are_rejected(cut in 0usize..600, extra in proptest::collection::vec(any::<u8>(), 1..8)) {
            let key = DataKey::generate().expect("key");
            let binding = TemplateBinding { record_id: Uuid::nil(), verification_id: Uuid::nil(), subject: "S", purpose: Purpose::Identification };
            let mut raw = [0.0f32; EMBEDDING_DIM];
            raw[0] = 1.0;
            let sealed = seal_template(&key, &Embedding::normalised(raw).expect("unit"), &binding).expect("seal");
            let truncated = &sealed[..cut.min(sealed.len() - 1)];
            prop_assert!(open_template(&key, truncated, &binding).is_err());
            let mut extended = sealed.clone();
            extended.extend(extra);
            prop_assert!(open_template(&key, &extended, &binding).is_err());
        }
    }
}
