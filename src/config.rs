//! Typed settings: embedded defaults (config/default.toml) -> optional TOML file -> FACEVERIFY__SECTION__KEY
//! environment variables, validated before anything starts.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::decision::Thresholds;
use crate::pipeline::PipelineSettings;

mod auth;
mod database;
mod models;
mod secret;
mod server;

pub use database::DatabaseSettings;
pub use models::ModelSettings;
pub use secret::Secret;
pub use server::ServerSettings;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub models: ModelSettings,
    pub pipeline: PipelineSettings,
    pub thresholds: Thresholds,
    pub vault: VaultSettings,
    pub auth: AuthSettings,
    pub webhook: crate::notify::WebhookSettings,
    pub residency: ResidencySettings,
    pub retention: crate::retention::RetentionSettings,
    pub security: SecuritySettings,
    pub gallery: crate::gallery::GallerySettings,
    pub liveness: crate::liveness::LivenessSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecuritySettings {
    /// Crop views plus audit exports by one user within the window above which an access_burst event is raised.
    pub burst_threshold: i64,
    pub burst_window_secs: i64,
}

/// Policy §7: personal data is stored in Kazakhstan.
#[derive(Debug, Clone, Deserialize)]
pub struct ResidencySettings {
    /// ISO 3166-1 alpha-2 code of where the database is stored.
    pub storage_region: String,
    /// Only with a legal basis for cross-border transfer: allows storage outside KZ, and then only subjects whose
    /// consent says cross_border = true are processed.
    pub cross_border_consent_mode: bool,
}

impl ResidencySettings {
    /// Whether every processed subject must have consented to cross-border transfer.
    pub fn cross_border(&self) -> bool {
        self.storage_region != "KZ"
    }

    fn validate(&self) -> Result<(), Invalid> {
        let region = &self.storage_region;
        if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(Invalid::new("storage_region", "must be an ISO 3166-1 alpha-2 code such as KZ"));
        }
        if region != "KZ" && !self.cross_border_consent_mode {
            return Err(Invalid::new(
                "storage_region",
                format!(
                    "is {region}, outside Kazakhstan: refusing to start (privacy policy §7). Set \
                     residency.cross_border_consent_mode = true only with a legal basis for consented cross-border \
                     transfer"
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Staff sessions expire after this many seconds without a request.
    pub session_ttl_secs: i64,
    /// Mark the session cookie `Secure` (set true behind TLS).
    pub secure_cookies: bool,
    /// Sign-in attempts one client address may make at one username per `lockout_max_secs` (beyond: 429); also the
    /// consecutive failures of an account that raise a `repeated_failed_logins` security event.
    pub max_failed_logins: i64,
    /// First quiet period after such an event; doubles with each further one, up to `lockout_max_secs`.
    pub lockout_secs: i64,
    pub lockout_max_secs: i64,
    /// Sessions end this long after sign-in, however active.
    pub session_max_lifetime_secs: i64,
    /// Password verifications (argon2id, 19 MiB each) at once; beyond: 503. 0: one per CPU core, at most 4.
    pub password_checks_in_flight: usize,
    /// Sign-in attempts per client address, and per username, within their windows; beyond: 429.
    pub address_max_attempts: u32,
    pub address_window_secs: u64,
    pub username_max_attempts: u32,
    pub username_window_secs: u64,
    /// Keys the in-memory limiters remember at most (each); only a refilled bucket is forgotten for a new key.
    pub limiter_entries: usize,
    /// Proxies (addresses or CIDR networks) whose X-Forwarded-For is believed; empty: the peer address counts.
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VaultSettings {
    pub kek_file: Option<PathBuf>,
    pub dev_kek_file: PathBuf,
}

impl VaultSettings {
    /// The KEK from `FACEVERIFY_KEK` (`ID:HEX`), else `kek_file`, else the development key (generated on first
    /// run). Returns whether it is the development key.
    pub fn load_kek(&self) -> Result<(crate::vault::Kek, bool), crate::vault::KeyError> {
        if let Some(kek) = crate::vault::env_kek() {
            return Ok((kek?, false));
        }
        crate::vault::load_or_generate(self.kek_file.as_deref(), &self.dev_kek_file)
    }
}

/// A rule one key of a section breaks; `Settings::validate` names the section.
#[derive(Debug)]
pub struct Invalid {
    key: &'static str,
    why: String,
}

impl Invalid {
    pub fn new(key: &'static str, why: impl Into<String>) -> Self {
        Self { key, why: why.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then `file` (or `FACEVERIFY_CONFIG`), then the environment: the conventional `DATABASE_URL`, and
    /// `FACEVERIFY__SECTION__KEY` over everything.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file.map(Path::to_path_buf).or_else(|| std::env::var_os("FACEVERIFY_CONFIG").map(PathBuf::from));
        let mut builder = Self::defaults_source();
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml).required(true));
        }
        let env = config::Environment::with_prefix("FACEVERIFY").prefix_separator("__").separator("__");
        let env = env.list_separator(",").with_list_parse_key("auth.trusted_proxies");
        builder = builder.add_source(env.try_parsing(true));
        if std::env::var_os("FACEVERIFY__DATABASE__URL").is_none() {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                builder = builder.set_override("database.url", url)?;
            }
        }
        Self::finish(builder)
    }

    /// The embedded defaults alone (tests, benches).
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::finish(Self::defaults_source())
    }

    fn defaults_source() -> config::ConfigBuilder<config::builder::DefaultState> {
        config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
    }

    fn finish(builder: config::ConfigBuilder<config::builder::DefaultState>) -> Result<Self, ConfigError> {
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.models.size_for_this_machine();
        if settings.server.max_uploads_in_flight == 0 {
            settings.server.max_uploads_in_flight = 4 * settings.models.workers;
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Each section's own rules, then those between sections.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.thresholds.validate().map_err(ConfigError::Invalid)?;
        section("residency", self.residency.validate())?;
        section("retention", self.retention.validate())?;
        section("auth", self.auth.validate())?;
        section("models", self.models.validate())?;
        section("pipeline", self.pipeline.validate())?;
        section("server", self.server.validate())?;
        section("gallery", self.gallery.validate())?;
        section("liveness", self.liveness.validate())?;
        if self.server.max_request_bytes < self.pipeline.limits.max_bytes {
            return Err(ConfigError::Invalid(
                "server.max_request_bytes must be at least pipeline.limits.max_bytes".to_owned(),
            ));
        }
        Ok(())
    }
}

fn section(name: &str, checked: Result<(), Invalid>) -> Result<(), ConfigError> {
    checked.map_err(|e| ConfigError::Invalid(format!("{name}.{} {}", e.key, e.why)))
}

#[cfg(test)]
mod tests {
    use super::database::without_password;
    use super::*;
    use crate::pipeline::Device;

    #[test]
    fn embedded_defaults_are_valid() {
        let s = Settings::defaults().expect("defaults load");
        assert_eq!(s.models.device, Device::Cpu);
        assert!(s.database.url.starts_with("sqlite://"));
    }

    #[test]
    fn storage_outside_kazakhstan_needs_the_cross_border_consent_mode() {
        let mut s = Settings::defaults().expect("defaults");
        assert_eq!(s.residency.storage_region, "KZ");
        s.residency.storage_region = "DE".into();
        let err = s.validate().expect_err("refused");
        assert!(err.to_string().contains("outside Kazakhstan"), "{err}");
        s.residency.cross_border_consent_mode = true;
        assert!(s.validate().is_ok());
        assert!(s.residency.cross_border());
        s.residency.storage_region = "kz".into();
        assert!(s.validate().is_err());
    }

    #[test]
    fn a_file_overrides_defaults_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nport = 9123\n").expect("write");
        assert_eq!(Settings::load(Some(&path)).expect("loads").server.port, 9123);
        std::fs::write(&path, "[thresholds]\nmatch_min = 0.1\nreview_min = 0.5\n").expect("write");
        assert!(matches!(Settings::load(Some(&path)), Err(ConfigError::Invalid(_))));
        std::fs::write(&path, "[models]\nworkers = 65\n").expect("write");
        assert!(Settings::load(Some(&path)).is_err());
    }

    #[test]
    fn debug_output_hides_the_webhook_secret_and_a_database_password() {
        let mut s = Settings::defaults().expect("defaults");
        s.database.url = "postgres://fv:s3cr3t-pw@db.internal:5432/faceverify?sslmode=require".into();
        s.webhook.secret = Some("hmac-key-0123456789abcdef".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(!shown.contains("hmac-key"), "{shown}");
        assert!(shown.contains("secret: Some(Secret(***))"), "{shown}");
        assert!(shown.contains("postgres://fv:***@db.internal:5432/faceverify?sslmode=require"), "{shown}");
        assert_eq!(without_password("postgres://fv@db/x"), "postgres://fv@db/x");
        assert_eq!(without_password("sqlite://data/faceverify.db"), "sqlite://data/faceverify.db");
    }

    #[test]
    fn the_webhook_secret_is_read_like_any_setting_and_errors_name_section_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[webhook]\nsecret = \"hmac-key-0123456789abcdef\"\n").expect("write");
        let s = Settings::load(Some(&path)).expect("loads");
        assert_eq!(s.webhook.secret.as_ref().map(Secret::expose), Some("hmac-key-0123456789abcdef"));
        std::fs::write(&path, "[server]\nupload_grace_secs = 100\n").expect("write");
        let err = Settings::load(Some(&path)).expect_err("refused").to_string();
        assert!(err.contains("server.upload_grace_secs must not exceed"), "{err}");
        std::fs::write(&path, "[retention]\naudit_days = 0\n").expect("write");
        let err = Settings::load(Some(&path)).expect_err("refused").to_string();
        assert!(err.contains("retention.audit_days must be at least one day"), "{err}");
    }

    #[test]
    fn every_default_comes_from_the_embedded_file() {
        let s = Settings::defaults().expect("defaults");
        let same = |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") == format!("{b:?}");
        assert!(same(&s.pipeline.limits, &crate::pipeline::DecodeLimits::default()));
        assert!(same(&s.pipeline.quality, &crate::pipeline::QualityLimits::default()));
        assert!(same(&s.pipeline.document, &crate::document::DocumentSettings::default()));
        // A key missing from the file is an error, not a silent default.
        let without = DEFAULTS.replace("shutdown_timeout_secs = 30", "");
        let source = config::Config::builder().add_source(config::File::from_str(&without, config::FileFormat::Toml));
        assert!(Settings::finish(source).is_err());
    }

    #[test]
    fn zero_workers_and_capacity_size_themselves_to_the_machine() {
        let mut s = Settings::defaults().expect("defaults");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(64);
        assert_eq!((s.models.workers, s.models.max_in_flight), (cores, 4 * cores), "the defaults are automatic");
        assert_eq!(s.server.max_uploads_in_flight, 4 * cores, "upload slots: four per worker");
        let mut slow = s.clone();
        slow.server.upload_grace_secs = slow.server.upload_timeout_secs + 1;
        assert!(slow.validate().is_err(), "the grace period ends before the deadline");
        s.models.workers = 3;
        s.models.max_in_flight = 0;
        s.models.size_for_this_machine();
        assert_eq!((s.models.workers, s.models.max_in_flight), (3, 12), "explicit values are kept");
    }

    #[test]
    fn the_batch_wait_under_its_old_name_is_honoured() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[models]\nembed_batch_wait_us = 500\n").expect("write");
        assert_eq!(Settings::load(Some(&path)).expect("loads").models.batch_wait_us, 500);
        std::fs::write(&path, "[models]\nbatch_wait_us = 700\nbatch_streams = 0\n").expect("write");
        let err = Settings::load(Some(&path)).expect_err("no sessions").to_string();
        assert!(err.contains("models.batch_streams must be 1..=16"), "{err}");
        assert_eq!(Settings::defaults().expect("defaults").models.batch_wait_us, 2000);
    }
}
