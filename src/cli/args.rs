//! The command line as clap parses it: `serve`, `verify`, the operator commands, the benchmarks and evaluations.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::pipeline::Device;

#[derive(Debug, Parser)]
#[command(name = "faceverify", version, about = "Selfie vs ID-document verification service")]
pub struct Cli {
    /// TOML settings file layered over the defaults (also FACEVERIFY_CONFIG).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Inference device; overrides models.device.
    #[arg(long, global = true, value_enum)]
    pub device: Option<Device>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve,
    /// Verify one selfie against one document photo and print the decision as JSON.
    Verify { selfie: PathBuf, document: PathBuf },
    /// Service accounts and staff users.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Key-encryption key management.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The keyed, hash-chained audit log and its signed checkpoints.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Sealed template integrity.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Signed evidence packages.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Retention: destroy what has outlived its purpose.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// End-to-end HTTP load at several concurrency levels; writes JSON and an SVG plot.
    Bench {
        #[arg(long)]
        selfie: PathBuf,
        #[arg(long)]
        document: PathBuf,
        /// Comma-separated concurrency levels.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
        concurrency: Vec<usize>,
        /// Seconds per level.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "bench.json")]
        json: PathBuf,
        #[arg(long, default_value = "bench.svg")]
        svg: PathBuf,
        /// Run the service on a scratch database created on this PostgreSQL server (and dropped afterwards)
        /// instead of a temporary SQLite file.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Sign-in flood with unknown usernames (issue 11 item 1): answers by status, the password-hashing bound, and
    /// the process's RSS before, during and after; prints JSON.
    BenchLogin {
        #[arg(long, default_value_t = 96)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Lift the per-address and per-username limits (what a flood from many addresses meets).
        #[arg(long)]
        no_limits: bool,
    },
    /// Audited writes per second through the one audit chain from 1, 2, 3... writers, each with its own connection
    /// pool as a replica has (issue 15 item 3), in a scratch database created on the PostgreSQL server and dropped
    /// afterwards; prints JSON.
    BenchAudit {
        /// PostgreSQL server URL (its user must be allowed to create databases), e.g. postgres://postgres@127.0.0.1/test
        #[arg(long)]
        postgres: String,
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        writers: Vec<usize>,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Time one whole verification per pair, one pair at a time, over the first N rows of a pairs file, and print
    /// JSON (faceverify's side of scripts/bench-peer.sh).
    TimePairs {
        pairs: PathBuf,
        #[arg(short = 'n', default_value_t = 100)]
        n: usize,
        /// Examine the two photos of a pair on two workers at once, as the service does for one request (default:
        /// both on one worker, one after the other, the work the Python reference does on one thread).
        #[arg(long)]
        parallel: bool,
    },
    /// Failure to acquire (no face found) on hard captures made from the photos of a pairs file: tight face crops,
    /// grey, dim, small faces; prints JSON.
    EvalAcquisition { pairs: PathBuf },
    /// Measure the document checks on FACES_DIR (the shared photos): specimen documents found, face photos refused,
    /// machine-readable zones read, each with a 95% interval; prints JSON.
    EvalDocuments { faces_dir: PathBuf },
    /// Measure the liveness-session analysis on synthesised sessions (SESSIONS.csv: photo,kind,seed,other; kinds
    /// bona_fide, still_photo, wrong_order, out_of_sync, no_light_response, other_face): BPCER and APCER per attack
    /// kind with 95% intervals; prints JSON. The poses and the screen light are simulated (see docs/accuracy.md).
    EvalLiveness {
        sessions: PathBuf,
        /// Where the CSV's photo paths start (default: the CSV's folder).
        #[arg(long)]
        faces_dir: Option<PathBuf>,
    },
    /// Measure the same-picture check: genuine pairs of a pairs file (two photos of one person) against copies of
    /// each photo (re-encoded, rescaled, re-cropped); fit on one source, report on the others; JSON.
    EvalSamePicture {
        pairs: PathBuf,
        /// The source the threshold is fitted on; the others are held out.
        #[arg(long, default_value = "deepface")]
        fit_source: String,
    },
    /// Write a models directory (OUT) whose recognition model is the configured one in another layout (BGR,
    /// (v - 127.5) / 128, 512 values, SCALE times the input size) and whose manifest says so: to rehearse swapping
    /// the recognition model (`FACEVERIFY__MODELS__DIR=OUT faceverify eval ...`, then `calibrate`); prints JSON.
    RelayoutModel {
        #[arg(long)]
        out: PathBuf,
        /// 1: the same input size (the same scores); 2: twice it (a close model, scores a little apart).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=2))]
        scale: u32,
    },
    /// Score a labelled pairs file and print FNMR/FMR at the configured threshold.
    Eval {
        pairs: PathBuf,
        /// Only pairs of this source (repeatable).
        #[arg(long)]
        source: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write accuracy.json and det.svg here, with presentation-attack figures when --liveness is given.
        #[arg(long)]
        report_dir: Option<PathBuf>,
        /// A liveness CSV (img, is_live, attack_type, ...) for APCER per attack type and BPCER.
        #[arg(long)]
        liveness: Option<PathBuf>,
        /// Compare each pair's first photo with its second *on a synthesised, photographed ID card* (the
        /// selfie-vs-document comparison the service makes) instead of the two photos as they are.
        #[arg(long)]
        document_cards: bool,
        /// Also write every pair's score to this CSV (empty where a photo yielded no face).
        #[arg(long)]
        scores: Option<PathBuf>,
    },
    /// Fit the 1:N duplicate rule: the impostor tail of a pairs file's photos (all cross-identity comparisons), the
    /// bar each gallery size needs for the target FPIR, FPIR at duplicate_min and FNIR of re-applications at the
    /// bar, with 95% bootstrap intervals over identities; prints JSON.
    #[command(name = "calibrate-1n")]
    CalibrateIdentification {
        pairs: PathBuf,
        #[arg(long, default_value_t = 1e-3)]
        target_fpir: f64,
        /// The share of impostor scores the tail model covers.
        #[arg(long, default_value_t = 0.05)]
        tail_fraction: f64,
        /// Comma-separated gallery sizes (templates).
        #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000,1000000")]
        gallery_sizes: Vec<usize>,
        /// Bootstrap resamples over identities.
        #[arg(long, default_value_t = 1000)]
        resamples: usize,
    },
    /// Choose the match threshold for a target FMR on identity-disjoint folds and report its FNMR and FMR with 95%
    /// intervals, never on the pairs it was fitted to; prints JSON.
    Calibrate {
        pairs: PathBuf,
        #[arg(long, default_value_t = 1e-4)]
        target_fmr: f64,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Only pairs of this source (repeatable).
        #[arg(long)]
        source: Vec<String>,
        /// Selfie against the portrait of a synthesised, photographed ID card (see `eval --document-cards`).
        #[arg(long)]
        document_cards: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create the onboarding service account and print its API key (once).
    AddService { name: String },
    /// Create a staff user; the password is read from FACEVERIFY_NEW_PASSWORD or standard input; prints the TOTP
    /// enrolment URI (once).
    AddStaff {
        username: String,
        #[arg(long, value_enum)]
        role: crate::policy::Role,
    },
    /// Revoke an API key at once: KEY_ID is the 16 hex characters after `fvk_`.
    Revoke { key_id: String },
    /// Disable a staff account and end its open sessions at once.
    Disable { username: String },
    /// Clear a staff account's lockout and sign-in limit.
    Unlock { username: String },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rewrap every subject data key (and TOTP seed) under a new KEK file; ciphertexts are untouched.
    Rotate {
        #[arg(long)]
        new_kek_file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the chain; exit 1 (and record a security event) on any edited, deleted or reordered row, a forged head,
    /// or a disagreement with a signed checkpoint.
    Verify {
        /// A checkpoint file written by `audit checkpoint` (repeatable): its signature must be this service's, and
        /// the chain must still hold the row it names with the hash it names.
        #[arg(long)]
        checkpoint: Vec<PathBuf>,
    },
    /// Verify the chain and write a signed checkpoint (count, head hash, time; Ed25519) to FILE, to be kept outside
    /// the database (WORM storage); exit 1 without a checkpoint when the chain does not verify.
    Checkpoint {
        #[arg(long)]
        out: PathBuf,
    },
    /// Once, after upgrading from a version before keyed audit chains: create the service keys and accept the
    /// existing audit rows, as they stand, as the legacy (unkeyed) chain. Audited; raises a critical
    /// `service_keys_created` security event. The service refuses to start on such a database until then.
    AdoptLegacy,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check an evidence package offline, without the KEK: the Ed25519 signature over record.json (with the public
    /// key in the package), the hashes of the crops it lists; print a JSON report, exit 1 when anything fails.
    Verify {
        file: PathBuf,
        /// The service's public key as recorded beforehand (hex; a checkpoint's `public_key`): the package must be
        /// signed with it.
        #[arg(long)]
        public_key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Run one sweep now and print what was destroyed.
    Sweep,
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Open every sealed template; exit 1 (and record security events) on any integrity failure.
    Check,
}

impl Cli {
    /// The settings (defaults, `--config` file, environment) with `--device` applied.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref())?;
        if let Some(device) = self.device {
            settings.models.device = device;
        }
        Ok(settings)
    }
}
