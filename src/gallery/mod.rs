//! The 1:N duplicate-search gallery: decrypted templates of active subjects in one contiguous, zeroizing f32
//! buffer (512 bytes per SFace template), searched exactly. Loaded from the sealed store at start, kept current on
//! enrolment and erasure: an erased subject's rows are zeroed and gone at once. It holds the templates of the
//! recognition model the service runs (its `TemplateSpace`) and no other: templates of a model used before are
//! counted, not searched (a score between two models' templates means nothing).

mod blocklist;
mod index;
mod int8;
mod load;
mod sync;
mod tail;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use uuid::Uuid;

pub use blocklist::{binding as blocklist_binding, load_blocklist, sync_blocklist};
pub use index::Hit;
use index::Index;
pub use load::load;
pub use sync::{spawn as spawn_sync, sync, GallerySettings, SyncReport};
pub use tail::ImpostorTail;

use crate::pipeline::{Embedding, TemplateSpace};

pub struct Gallery {
    /// The recognition model whose templates are held.
    space: TemplateSpace,
    index: RwLock<Index>,
    /// Stored templates of other recognition models, seen at the last load or pass: not searched.
    other_models: AtomicUsize,
    /// Set once every stored template has been read: until then 1:N search would miss enrolled faces.
    loaded: AtomicBool,
    /// Stored templates that did not open at load (integrity failures): 1:N search misses those faces.
    unreadable: AtomicUsize,
    /// When the gallery last matched the store (load or a synchronisation pass).
    synced: Mutex<Option<Instant>>,
    /// Stored templates that failed their integrity check: not retried by synchronisation passes (each failure
    /// raised its security event once), forgotten once they are no longer stored.
    unopenable: Mutex<HashSet<Uuid>>,
}

impl Gallery {
    /// An empty gallery of `space`'s templates, searched exactly in f32 at any size.
    pub fn new(space: TemplateSpace) -> Self {
        Self::with_int8_from(space, usize::MAX)
    }

    /// An empty gallery of `space`'s templates that takes an 8-bit first pass from `int8_from` templates on
    /// (`gallery.int8_from`): the same hits, fewer bytes read per search (docs/benchmarks.md, "1:N duplicate
    /// search"), a quarter more memory.
    pub fn with_int8_from(space: TemplateSpace, int8_from: usize) -> Self {
        Self {
            index: RwLock::new(Index::new(space.dim, int8_from)),
            space,
            other_models: AtomicUsize::new(0),
            loaded: AtomicBool::new(false),
            unreadable: AtomicUsize::new(0),
            synced: Mutex::new(None),
            unopenable: Mutex::new(HashSet::new()),
        }
    }

    /// The recognition model whose templates this gallery holds.
    pub fn space(&self) -> &TemplateSpace {
        &self.space
    }

    /// Stored templates of another recognition model (made before the model was swapped): not searched.
    pub fn other_model_templates(&self) -> usize {
        self.other_models.load(Ordering::Acquire)
    }

    pub(crate) fn set_other_model_templates(&self, count: usize) {
        self.other_models.store(count, Ordering::Release);
    }

    /// Whether the stored templates have all been read (readiness; verifications wait for it).
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Whether the load is done and every stored template opened: what readiness needs.
    pub fn is_complete(&self) -> bool {
        self.is_loaded() && self.unreadable.load(Ordering::Acquire) == 0
    }

    pub(crate) fn mark_loaded(&self) {
        self.loaded.store(true, Ordering::Release);
    }

    /// Records stored templates that did not open (readiness fails while any is still stored).
    pub(crate) fn add_unopenable(&self, ids: impl IntoIterator<Item = Uuid>) {
        let mut set = self.unopenable.lock().unwrap_or_else(|p| p.into_inner());
        set.extend(ids);
        self.unreadable.store(set.len(), Ordering::Release);
    }

    /// Whether a stored template already failed to open (synchronisation skips it).
    pub(crate) fn is_unopenable(&self, template_id: &Uuid) -> bool {
        self.unopenable.lock().unwrap_or_else(|p| p.into_inner()).contains(template_id)
    }

    /// Forgets failed templates that are no longer stored (erased, swept, or removed by the operator).
    pub(crate) fn retain_unopenable(&self, stored: &HashSet<Uuid>) {
        let mut set = self.unopenable.lock().unwrap_or_else(|p| p.into_inner());
        set.retain(|id| stored.contains(id));
        self.unreadable.store(set.len(), Ordering::Release);
    }

    /// Adds a template; a verification's template already held is not added twice, and one of another length
    /// than this gallery's model makes is refused. Whether the template is held now.
    pub fn insert(&self, subject: &str, verification_id: Uuid, template: &Embedding) -> bool {
        let mut index = self.index.write().unwrap_or_else(|p| p.into_inner());
        index.contains(verification_id) || index.insert(subject, verification_id, template)
    }

    /// The verifications whose templates are held.
    pub fn verification_ids(&self) -> HashSet<Uuid> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).verification_ids()
    }

    pub(crate) fn mark_synced(&self) {
        *self.synced.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    /// Seconds since the gallery last matched the store (the replica's gallery lag bound); `None` before the load.
    pub fn sync_age_secs(&self) -> Option<f64> {
        self.synced.lock().unwrap_or_else(|p| p.into_inner()).map(|t| t.elapsed().as_secs_f64())
    }

    /// Removes (and zeroes) every template of `subject`; returns how many.
    pub fn remove_subject(&self, subject: &str) -> usize {
        self.index.write().unwrap_or_else(|p| p.into_inner()).remove_where(|s, _| s == subject)
    }

    /// Removes (and zeroes) the templates of these verifications (retention).
    pub fn remove_verifications(&self, ids: &[Uuid]) -> usize {
        if ids.is_empty() {
            return 0;
        }
        self.index.write().unwrap_or_else(|p| p.into_inner()).remove_where(|_, v| ids.contains(&v))
    }

    /// How many templates of `subject` are held.
    pub fn count_subject(&self, subject: &str) -> usize {
        self.index.read().unwrap_or_else(|p| p.into_inner()).count_subject(subject)
    }

    /// The best match of another subject scoring at least `min`.
    pub fn search(&self, probe: &Embedding, exclude_subject: &str, min: f32) -> Option<Hit> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).search(probe, exclude_subject, min)
    }

    /// The best match scoring at least `min` among the subjects `keep` accepts (the allowlist's filter).
    pub fn search_where(&self, probe: &Embedding, min: f32, keep: impl Fn(&str) -> bool) -> Option<Hit> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).search_where(probe, min, keep)
    }

    pub fn len(&self) -> usize {
        self.index.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether searches take the 8-bit first pass (the gallery has reached `gallery.int8_from` templates).
    pub fn uses_int8(&self) -> bool {
        self.index.read().unwrap_or_else(|p| p.into_inner()).uses_int8()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Gallery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gallery {{ templates: {} }}", self.len())
    }
}
