//! Sealing face templates: AES-256-GCM under the subject's DEK, with associated data binding the ciphertext to
//! its record, subject, purpose and the recognition model that made it, so a ciphertext moved to another row or
//! subject does not open, nor one relabelled as another model's.

use uuid::Uuid;

use super::keys::{open, seal, DataKey};
use super::VaultError;
use crate::domain::Purpose;
use crate::pipeline::recognition::SFACE_2021DEC_SHA256;
use crate::pipeline::Embedding;

/// What a sealed template is bound to: its row, the verification it came from, the subject, the purpose and the
/// recognition model (the sha256 of its file).
pub struct TemplateBinding<'a> {
    pub record_id: Uuid,
    pub verification_id: Uuid,
    pub subject: &'a str,
    pub purpose: Purpose,
    pub model: &'a str,
}

impl TemplateBinding<'_> {
    fn aad(&self) -> Vec<u8> {
        let Self { record_id, verification_id, subject, purpose, model } = self;
        let purpose = purpose.as_str();
        format!("faceverify/template/v3\0{model}\0{record_id}\0{verification_id}\0{subject}\0{purpose}").into_bytes()
    }

    /// The bindings of templates sealed before the model was bound (v2, 2026-12) and before the verification id
    /// was (v1, 2026-11): still opened, so that existing galleries load. Every such template is SFace's, so they
    /// are tried for SFace only; a newer ciphertext never opens under them (the associated data differ).
    fn legacy_aads(&self) -> Option<[Vec<u8>; 2]> {
        let Self { record_id, verification_id, subject, purpose, model } = self;
        let purpose = purpose.as_str();
        (*model == SFACE_2021DEC_SHA256).then(|| {
            [
                format!("faceverify/template/v2\0{record_id}\0{verification_id}\0{subject}\0{purpose}").into_bytes(),
                format!("faceverify/template/v1\0{record_id}\0{subject}\0{purpose}").into_bytes(),
            ]
        })
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
    let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(template.dim() * 4));
    for v in template.as_slice() {
        plain.extend_from_slice(&v.to_le_bytes());
    }
    seal(&key.cipher(), &plain, &binding.aad())
}

pub fn open_template(key: &DataKey, sealed: &[u8], binding: &TemplateBinding<'_>) -> Result<Embedding, VaultError> {
    let cipher = key.cipher();
    let mut plain = open(&cipher, sealed, &binding.aad());
    for legacy in binding.legacy_aads().iter().flatten() {
        if plain.is_err() {
            plain = open(&cipher, sealed, legacy);
        }
    }
    let plain = plain?;
    if plain.is_empty() || plain.len() % 4 != 0 {
        return Err(VaultError::Integrity);
    }
    let mut raw = zeroize::Zeroizing::new(
        plain.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect::<Vec<f32>>(),
    );
    Embedding::normalised(&mut raw).ok_or(VaultError::Integrity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::EMBEDDING_DIM;
    use crate::vault::Kek;

    fn embedding(seed: f32) -> Embedding {
        embedding_of(seed, EMBEDDING_DIM)
    }

    fn embedding_of(seed: f32, dim: usize) -> Embedding {
        let mut raw: Vec<f32> = (0..dim).map(|i| ((i as f32 + seed) * 0.37).sin()).collect();
        Embedding::normalised(&mut raw).expect("non-zero")
    }

    fn binding(subject: &str) -> TemplateBinding<'_> {
        TemplateBinding {
            record_id: Uuid::nil(),
            verification_id: Uuid::nil(),
            subject,
            purpose: Purpose::Identification,
            model: SFACE_2021DEC_SHA256,
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
        let other_model = TemplateBinding { model: &"ab".repeat(32), ..binding("S1") };
        assert!(open_template(&key, &sealed, &other_model).is_err(), "bound to its model");
    }

    #[test]
    fn templates_of_any_length_round_trip_under_their_model() {
        let key = DataKey::generate().expect("key");
        let model = "cd".repeat(32);
        let b = TemplateBinding { model: &model, ..binding("S1") };
        for dim in [64, 512, 513] {
            let e = embedding_of(1.5, dim);
            let opened = open_template(&key, &seal_template(&key, &e, &b).expect("seal"), &b).expect("open");
            assert_eq!(opened.dim(), dim);
            assert!((opened.cosine(&e) - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn sface_templates_sealed_before_v3_still_open_and_v3_ones_do_not_downgrade() {
        let key = DataKey::generate().expect("key");
        let b = binding("S1");
        let mut plain = Vec::new();
        for v in embedding(5.0).as_slice() {
            plain.extend_from_slice(&v.to_le_bytes());
        }
        let legacy_aads = b.legacy_aads().expect("SFace has legacy bindings");
        for (version, aad) in ["v2", "v1"].iter().zip(&legacy_aads) {
            let legacy = seal(&key.cipher(), &plain, aad).expect("seal legacy");
            assert!(open_template(&key, &legacy, &b).is_ok(), "a {version} template opens");
            let other = "ef".repeat(32);
            let as_other_model = TemplateBinding { model: &other, ..binding("S1") };
            assert!(open_template(&key, &legacy, &as_other_model).is_err(), "a {version} template is SFace's only");
        }
        let v3 = seal_template(&key, &embedding(5.0), &b).expect("seal v3");
        for aad in &legacy_aads {
            assert!(open(&key.cipher(), &v3, aad).is_err(), "a v3 template never opens under an older binding");
        }
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
    use crate::pipeline::EMBEDDING_DIM;

    fn embedding_from(values: &[f32]) -> Option<Embedding> {
        Embedding::normalised(&mut values.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_template_round_trips(values in proptest::collection::vec(-1.0f32..1.0, EMBEDDING_DIM), subject in "[A-Z0-9-]{1,16}") {
            let Some(template) = embedding_from(&values) else { return Ok(()) };
            let key = DataKey::generate().expect("key");
            let binding = TemplateBinding { record_id: Uuid::new_v4(), verification_id: Uuid::new_v4(), subject: &subject, purpose: Purpose::AntiFraud, model: SFACE_2021DEC_SHA256 };
            let sealed = seal_template(&key, &template, &binding).expect("seal");
            let opened = open_template(&key, &sealed, &binding).expect("open");
            prop_assert!((opened.cosine(&template) - 1.0).abs() < 1e-5);
        }

        #[test]
        fn any_bit_flip_anywhere_is_rejected(values in proptest::collection::vec(-1.0f32..1.0, EMBEDDING_DIM), bit in any::<prop::sample::Index>()) {
            let Some(template) = embedding_from(&values) else { return Ok(()) };
            let key = DataKey::generate().expect("key");
            let binding = TemplateBinding { record_id: Uuid::nil(), verification_id: Uuid::nil(), subject: "S", purpose: Purpose::Identification, model: SFACE_2021DEC_SHA256 };
            let mut sealed = seal_template(&key, &template, &binding).expect("seal");
            let bit = bit.index(sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            prop_assert_eq!(open_template(&key, &sealed, &binding).map(|_| ()), Err(VaultError::Integrity));
        }

        #[test]
        fn truncated_or_extended_ciphertexts_are_rejected(cut in 0usize..600, extra in proptest::collection::vec(any::<u8>(), 1..8)) {
            let key = DataKey::generate().expect("key");
            let binding = TemplateBinding { record_id: Uuid::nil(), verification_id: Uuid::nil(), subject: "S", purpose: Purpose::Identification, model: SFACE_2021DEC_SHA256 };
            let mut raw = [0.0f32; EMBEDDING_DIM];
            raw[0] = 1.0;
            let sealed = seal_template(&key, &Embedding::normalised(&mut raw).expect("unit"), &binding).expect("seal");
            let truncated = &sealed[..cut.min(sealed.len() - 1)];
            prop_assert!(open_template(&key, truncated, &binding).is_err());
            let mut extended = sealed.clone();
            extended.extend(extra);
            prop_assert!(open_template(&key, &extended, &binding).is_err());
        }
    }
}
