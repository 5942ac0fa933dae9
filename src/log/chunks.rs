//! Reading an input in large chunks cut at line ends.

use std::io::{self, BufRead, Read};

use super::reader::MAX_LINE_BYTES;

/// One chunk of input: whole lines, or one piece of an over-long line.
pub(super) struct Chunk {
    pub(super) data: Vec<u8>,
    /// A piece of [`MAX_LINE_BYTES`] of a line that goes on.
    pub(super) piece: bool,
    /// The first line goes on from the previous chunk's piece (same number).
    pub(super) continues: bool,
}

/// Cuts a reader into chunks of whole lines. A line longer than
/// [`MAX_LINE_BYTES`] is handed on in pieces of that size, as
/// [`super::reader::PhysicalLines`] does, so memory stays bounded.
pub(super) struct ChunkReader<R> {
    reader: R,
    /// The start of a line read past the end of the last chunk.
    carry: Vec<u8>,
    target: usize,
    eof: bool,
    /// The last chunk was a piece: the next one continues its line.
    in_piece: bool,
}

impl<R: BufRead> ChunkReader<R> {
    pub(super) fn new(reader: R, target: usize) -> Self {
        ChunkReader {
            reader,
            carry: Vec::new(),
            target: target.clamp(1, MAX_LINE_BYTES),
            eof: false,
            in_piece: false,
        }
    }

    /// The input is read to its end and handed on in full.
    pub(super) fn is_done(&self) -> bool {
        self.eof && self.carry.is_empty()
    }

    /// The last chunk was a piece of a line that goes on.
    pub(super) fn in_piece(&self) -> bool {
        self.in_piece
    }

    /// Reads into `data` until it holds `upto` bytes or the input ends.
    fn fill(&mut self, data: &mut Vec<u8>, upto: usize) -> io::Result<()> {
        if self.eof || data.len() >= upto {
            return Ok(());
        }
        let want = upto - data.len();
        let got = (&mut self.reader).take(want as u64).read_to_end(data)?;
        if got < want {
            self.eof = true;
        }
        Ok(())
    }

    /// The next chunk, in `data` (cleared first), or `None` at the end.
    pub(super) fn next(&mut self, mut data: Vec<u8>) -> io::Result<Option<Chunk>> {
        data.clear();
        data.append(&mut self.carry);
        self.fill(&mut data, self.target)?;
        // Some line must end within the chunk, unless the line is too long
        // for one: then its first MAX_LINE_BYTES are a piece.
        let limit = MAX_LINE_BYTES + 1;
        let mut searched = 0;
        while memchr::memchr(b'\n', &data[searched..]).is_none() && !self.eof && data.len() < limit
        {
            searched = data.len();
            let upto = limit.min(data.len() + self.target);
            self.fill(&mut data, upto)?;
        }
        if data.is_empty() {
            return Ok(None);
        }
        let continues = self.in_piece;
        let cut = match memchr::memrchr(b'\n', &data) {
            Some(i) => Some(i + 1),
            None if data.len() <= MAX_LINE_BYTES => None,
            None => Some(MAX_LINE_BYTES),
        };
        let mut piece = false;
        if let Some(cut) = cut {
            self.carry.extend_from_slice(&data[cut..]);
            data.truncate(cut);
            piece = data.last() != Some(&b'\n');
        }
        self.in_piece = piece;
        Ok(Some(Chunk {
            data,
            piece,
            continues,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(input: &[u8], target: usize) -> Vec<(Vec<u8>, bool, bool)> {
        let mut reader = ChunkReader::new(input, target);
        let mut out = Vec::new();
        while let Some(chunk) = reader.next(Vec::new()).unwrap() {
            out.push((chunk.data, chunk.piece, chunk.continues));
        }
        out
    }

    #[test]
    fn chunks_end_at_line_ends() {
        let input = b"aaa\nbbbb\n\ncc\r\ndd";
        for target in 1..=input.len() + 1 {
            let got = chunks(input, target);
            assert_eq!(got.concat_data(), input, "target {target}");
            let (last, rest) = got.split_last().unwrap();
            assert!(rest.iter().all(|c| c.0.ends_with(b"\n") && !c.1 && !c.2));
            // No trailing newline: the last line ends the last chunk.
            assert!(last.0.ends_with(b"dd") && !last.1);
        }
    }

    trait ConcatData {
        fn concat_data(&self) -> Vec<u8>;
    }
    impl ConcatData for Vec<(Vec<u8>, bool, bool)> {
        fn concat_data(&self) -> Vec<u8> {
            self.iter().flat_map(|c| c.0.clone()).collect()
        }
    }

    #[test]
    fn over_long_line_is_read_in_pieces() {
        let mut input = b"short\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        input.extend(b"\nlast\n");
        let got = chunks(&input, 4096);
        assert_eq!(got.concat_data(), input);
        let pieces: Vec<(usize, bool, bool)> = got.iter().map(|c| (c.0.len(), c.1, c.2)).collect();
        assert!(
            pieces.contains(&(MAX_LINE_BYTES, true, false)),
            "{pieces:?}"
        );
        assert!(pieces.contains(&(16, false, true)), "{pieces:?}");
    }
}
