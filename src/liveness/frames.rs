//! One attempt's frames as the client sent them.

use crate::pipeline::UploadBytes;

/// A JPEG frame and when it was captured, in milliseconds from the attempt's first frame (the flash schedule starts
/// at the first frame too).
pub struct Frame {
    pub at_ms: u32,
    pub jpeg: UploadBytes,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame(at {} ms, {} bytes)", self.at_ms, self.jpeg.len())
    }
}
