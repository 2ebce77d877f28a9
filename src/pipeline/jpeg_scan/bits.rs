//! The entropy-coded layer: canonical Huffman codes (JPEG Annex C) and a bit reader that stops at markers.

use super::{Result, ScanError};

/// Codes up to this length are decoded by one table lookup.
const LOOKUP_BITS: u32 = 9;

pub(super) struct Huffman {
    /// `(length << 8) | symbol` for each `LOOKUP_BITS`-bit prefix that starts a short code; 0 for longer codes.
    lookup: Vec<u16>,
    max_code: [i32; 17],
    value_offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    /// A table without codes: decoding with it fails.
    pub(super) fn empty() -> Self {
        Self { lookup: vec![0; 1 << LOOKUP_BITS], max_code: [-1; 17], value_offset: [0; 17], values: Vec::new() }
    }

    /// The canonical code of JPEG Annex C from the 16 code-length counts and the symbols.
    pub(super) fn new(counts: &[u8], values: &[u8]) -> Result<Self> {
        let mut lookup = vec![0u16; 1 << LOOKUP_BITS];
        let (mut max_code, mut value_offset) = ([-1i32; 17], [0i32; 17]);
        let (mut code, mut k) = (0u32, 0usize);
        for len in 1..=16u32 {
            let n = usize::from(counts[len as usize - 1]);
            value_offset[len as usize] = k as i32 - code as i32;
            for _ in 0..n {
                let symbol = *values.get(k).ok_or(ScanError::Corrupt)?;
                if code >= 1 << len {
                    return Err(ScanError::Corrupt);
                }
                if len <= LOOKUP_BITS {
                    let shift = LOOKUP_BITS - len;
                    let start = (code << shift) as usize;
                    lookup[start..start + (1 << shift)].fill(((len as u16) << 8) | u16::from(symbol));
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                max_code[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        Ok(Self { lookup, max_code, value_offset, values: values.to_vec() })
    }

    /// The next code's symbol and length, not consumed: the caller consumes the code and its extra bits at once.
    #[inline]
    pub(super) fn peek(&self, r: &mut BitReader<'_>) -> Result<(u8, u32)> {
        let peek = r.peek16();
        let entry = self.lookup[(peek >> (16 - LOOKUP_BITS)) as usize];
        if entry != 0 {
            return Ok((entry as u8, u32::from(entry >> 8)));
        }
        for len in LOOKUP_BITS + 1..=16 {
            let code = (peek >> (16 - len)) as i32;
            if code <= self.max_code[len as usize] {
                let index = usize::try_from(code + self.value_offset[len as usize]).map_err(|_| ScanError::Corrupt)?;
                return self.values.get(index).map(|&symbol| (symbol, len)).ok_or(ScanError::Corrupt);
            }
        }
        // Past the end the reader pads with ones, which no code is made of.
        Err(if r.bits < 16 { ScanError::Truncated } else { ScanError::Corrupt })
    }

    pub(super) fn decode(&self, r: &mut BitReader<'_>) -> Result<u8> {
        let (symbol, len) = self.peek(r)?;
        r.skip(len)?;
        Ok(symbol)
    }
}

/// Entropy-coded bytes, most significant bit first, unstuffed (FF 00 -> FF), stopping at the first marker.
pub(super) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    bits: u32,
    /// The marker the data stopped at: its code and the index after it.
    marker: Option<(u8, usize)>,
}

impl<'a> BitReader<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos, acc: 0, bits: 0, marker: None }
    }

    /// Tops the buffer up to more than 56 bits, or to the marker or end of the data.
    #[inline(never)]
    fn fill(&mut self) {
        while self.bits <= 56 && self.marker.is_none() {
            // Four bytes at once when none of them is FF (stuffing or a marker): the common case.
            if self.bits <= 32 {
                if let Some(&[a, b, c, d]) = self.data.get(self.pos..self.pos + 4) {
                    if a != 0xFF && b != 0xFF && c != 0xFF && d != 0xFF {
                        self.acc |= u64::from(u32::from_be_bytes([a, b, c, d])) << (32 - self.bits);
                        self.bits += 32;
                        self.pos += 4;
                        continue;
                    }
                }
            }
            let Some(&byte) = self.data.get(self.pos) else { return };
            if byte != 0xFF {
                self.push(byte);
                self.pos += 1;
                continue;
            }
            let mut next = self.pos + 1;
            while self.data.get(next) == Some(&0xFF) {
                next += 1;
            }
            match self.data.get(next) {
                Some(0) if next == self.pos + 1 => {
                    self.push(0xFF);
                    self.pos += 2;
                }
                Some(&code) => self.marker = Some((code, next + 1)),
                None => self.pos = self.data.len(),
            }
        }
    }

    fn push(&mut self, byte: u8) {
        self.acc |= u64::from(byte) << (56 - self.bits);
        self.bits += 8;
    }

    /// The next 16 bits, padded with ones past the end of the data. Leaves at least 32 bits buffered unless the
    /// data ends first, so a code and its extra bits can be consumed without another fill.
    #[inline]
    fn peek16(&mut self) -> u32 {
        if self.bits < 32 {
            self.fill();
        }
        let top = (self.acc >> 48) as u32;
        if self.bits < 16 {
            top | (0xFFFF >> self.bits)
        } else {
            top
        }
    }

    /// Consumes `n` bits.
    #[inline]
    pub(super) fn skip(&mut self, mut n: u32) -> Result<()> {
        while n > 32 {
            self.skip(32)?;
            n -= 32;
        }
        if n > self.bits {
            self.fill();
            if n > self.bits {
                return Err(ScanError::Truncated);
            }
        }
        self.acc <<= n;
        self.bits -= n;
        Ok(())
    }

    /// The next `n` (at most 16) bits as a number.
    pub(super) fn value(&mut self, n: u32) -> Result<u32> {
        if n == 0 {
            return Ok(0);
        }
        if n > 16 {
            return Err(ScanError::Corrupt);
        }
        if n > self.bits {
            self.fill();
        }
        if n > self.bits {
            return Err(ScanError::Truncated);
        }
        let v = (self.acc >> (64 - n)) as u32;
        self.acc <<= n;
        self.bits -= n;
        Ok(v)
    }

    /// Drops what is left of the data (padding, or bytes a lenient decoder skips) up to the next marker.
    pub(super) fn skip_to_marker(&mut self) -> Option<(u8, usize)> {
        loop {
            self.acc = 0;
            self.bits = 0;
            self.fill();
            if self.marker.is_some() || self.pos >= self.data.len() {
                return self.marker;
            }
        }
    }

    /// At a restart interval's end the next marker must be RSTn; the data goes on after it.
    pub(super) fn restart(&mut self) -> Result<()> {
        match self.skip_to_marker() {
            Some((0xD0..=0xD7, after)) => {
                self.pos = after;
                self.marker = None;
                Ok(())
            }
            _ => Err(ScanError::Truncated),
        }
    }
}
