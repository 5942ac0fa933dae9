//! Opening a log and cutting it into bounded physical lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::LogError;

/// The name used in errors for standard input.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// A physical line longer than this is handed on in pieces of this size, so
/// that one enormous line (minified assets, a whole log pasted as one JSON
/// string) cannot make memory grow without bound.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens a log for reading: `-` is standard input; gzip input is recognised
/// by its magic bytes rather than by its name, because piped and renamed logs
/// have no trustworthy name. Concatenated gzip members (rotated logs joined
/// with `cat`) are read as one stream.
///
/// A log of container records (one JSON record per line) is handed on as it
/// is: [`super::feed`] decodes it on its worker threads, and the normaliser
/// decodes a record wherever it meets one.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>, LogError> {
    let open_error = |source| LogError::Open {
        path: display_path(path),
        source,
    };
    if path == Path::new("-") {
        let stdin = io::stdin().lock();
        return sniff(Box::new(stdin)).map_err(open_error);
    }
    let file = File::open(path).map_err(open_error)?;
    sniff(Box::new(BufReader::with_capacity(64 * 1024, file))).map_err(open_error)
}

/// The path as errors should show it.
pub(crate) fn display_path(path: &Path) -> PathBuf {
    if path == Path::new("-") {
        PathBuf::from(STDIN_NAME)
    } else {
        path.to_path_buf()
    }
}

fn sniff(mut reader: Box<dyn BufRead>) -> io::Result<Box<dyn BufRead>> {
    if peek(&mut reader, 2)?.starts_with(&GZIP_MAGIC) {
        let decoder = MultiGzDecoder::new(reader);
        reader = Box::new(BufReader::with_capacity(64 * 1024, decoder));
    }
    // Windows tools write UTF-16 (PowerShell's `>`), some UTF-32; both
    // start with a byte order mark, and read as bytes they match nothing.
    let Some((wide, bom)) = Wide::from_bom(&peek(&mut reader, 4)?) else {
        return Ok(reader);
    };
    reader.consume(bom);
    Ok(Box::new(BufReader::with_capacity(
        64 * 1024,
        WideDecoder::new(reader, wide),
    )))
}

/// Up to `n` first bytes of `reader`, left unconsumed. A first read may
/// return fewer (pipes do), so it keeps reading until it has them or the
/// input ends, and then stitches what it read back in front.
fn peek(reader: &mut Box<dyn BufRead>, n: usize) -> io::Result<Vec<u8>> {
    let available = loop {
        match reader.fill_buf() {
            Ok(bytes) => break bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if available.len() >= n || available.is_empty() {
        return Ok(available[..n.min(available.len())].to_vec());
    }
    let mut head = Vec::with_capacity(n);
    (&mut *reader).take(n as u64).read_to_end(&mut head)?;
    let rest = std::mem::replace(reader, Box::new(io::empty()));
    *reader = Box::new(BufReader::new(io::Cursor::new(head.clone()).chain(rest)));
    Ok(head)
}

/// A text encoding wider than UTF-8, told by its byte order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wide {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Wide {
    /// The encoding and the length of its mark. UTF-32LE's mark begins
    /// with UTF-16LE's, so it is tried first.
    fn from_bom(head: &[u8]) -> Option<(Wide, usize)> {
        match head {
            [0xff, 0xfe, 0, 0, ..] => Some((Wide::Utf32Le, 4)),
            [0, 0, 0xfe, 0xff, ..] => Some((Wide::Utf32Be, 4)),
            [0xff, 0xfe, ..] => Some((Wide::Utf16Le, 2)),
            [0xfe, 0xff, ..] => Some((Wide::Utf16Be, 2)),
            _ => None,
        }
    }
}

/// UTF-16 (by `encoding_rs`) or UTF-32 input read as UTF-8, streaming;
/// what does not decode becomes U+FFFD, as invalid UTF-8 does.
struct WideDecoder<R> {
    inner: R,
    wide: Wide,
    utf16: Option<encoding_rs::Decoder>,
    /// UTF-32 bytes of a character split across reads.
    partial: Vec<u8>,
    /// Decoded UTF-8 not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: BufRead> WideDecoder<R> {
    fn new(inner: R, wide: Wide) -> Self {
        let utf16 = match wide {
            Wide::Utf16Le => Some(encoding_rs::UTF_16LE.new_decoder_without_bom_handling()),
            Wide::Utf16Be => Some(encoding_rs::UTF_16BE.new_decoder_without_bom_handling()),
            Wide::Utf32Le | Wide::Utf32Be => None,
        };
        WideDecoder {
            inner,
            wide,
            utf16,
            partial: Vec::new(),
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    /// Decodes the next buffer of input into `out`.
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let input = loop {
            match self.inner.fill_buf() {
                Ok(bytes) => break bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let last = input.is_empty();
        let consumed = input.len();
        if let Some(decoder) = self.utf16.as_mut() {
            let mut text = String::with_capacity(
                decoder
                    .max_utf8_buffer_length(input.len())
                    .unwrap_or(input.len() * 3 + 16),
            );
            let (_, read, _) = decoder.decode_to_string(input, &mut text, last);
            debug_assert_eq!(read, input.len());
            self.out.extend_from_slice(text.as_bytes());
        } else {
            self.partial.extend_from_slice(input);
            let whole = self.partial.len() / 4 * 4;
            let mut text = String::with_capacity(whole);
            for unit in self.partial[..whole].chunks_exact(4) {
                let bytes = [unit[0], unit[1], unit[2], unit[3]];
                let code = match self.wide {
                    Wide::Utf32Be => u32::from_be_bytes(bytes),
                    _ => u32::from_le_bytes(bytes),
                };
                text.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.partial.drain(..whole);
            if last && !self.partial.is_empty() {
                self.partial.clear();
                text.push(char::REPLACEMENT_CHARACTER);
            }
            self.out.extend_from_slice(text.as_bytes());
        }
        self.inner.consume(consumed);
        self.done = last;
        Ok(())
    }
}

impl<R: BufRead> Read for WideDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Cuts a reader into physical lines of at most [`MAX_LINE_BYTES`], reusing
/// one buffer, and counts them.
pub(crate) struct PhysicalLines<R> {
    reader: R,
    path: PathBuf,
    /// Physical lines started so far (the current one's 1-based number).
    number: usize,
    /// Whether the previous piece ended a line, so the next piece starts one.
    at_line_start: bool,
}

impl<R: BufRead> PhysicalLines<R> {
    pub(crate) fn new(reader: R) -> Self {
        PhysicalLines {
            reader,
            path: PathBuf::from(STDIN_NAME),
            number: 0,
            at_line_start: true,
        }
    }

    pub(crate) fn set_path(&mut self, path: PathBuf) {
        self.path = path;
    }

    /// Reads the next line (without its `\n`) into `buf`; returns its 1-based
    /// number, or `None` at the end of input. The pieces of an over-long line
    /// share one number.
    pub(crate) fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<usize>, LogError> {
        buf.clear();
        let mut ended_line = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(LogError::Read {
                        path: self.path.clone(),
                        line: self.number + usize::from(self.at_line_start),
                        source,
                    })
                }
            };
            if available.is_empty() {
                if buf.is_empty() {
                    return Ok(None);
                }
                ended_line = true;
                break;
            }
            let room = MAX_LINE_BYTES - buf.len();
            match memchr::memchr(b'\n', available) {
                Some(i) if i <= room => {
                    buf.extend_from_slice(&available[..i]);
                    self.reader.consume(i + 1);
                    ended_line = true;
                    break;
                }
                _ => {
                    let take = available.len().min(room);
                    buf.extend_from_slice(&available[..take]);
                    self.reader.consume(take);
                    if buf.len() >= MAX_LINE_BYTES {
                        break;
                    }
                }
            }
        }
        if self.at_line_start {
            self.number += 1;
        }
        self.at_line_start = ended_line;
        Ok(Some(self.number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn read_all(mut reader: Box<dyn BufRead>) -> String {
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn plain_input_passes_through() {
        let reader = sniff(Box::new(io::Cursor::new(b"hello\nworld\n".to_vec()))).unwrap();
        assert_eq!(read_all(reader), "hello\nworld\n");
    }

    #[test]
    fn gzip_is_detected_by_magic_bytes() {
        let reader = sniff(Box::new(io::Cursor::new(gzip(b"a\nb\n")))).unwrap();
        assert_eq!(read_all(reader), "a\nb\n");
    }

    #[test]
    fn concatenated_gzip_members_are_one_stream() {
        let mut data = gzip(b"first\n");
        data.extend(gzip(b"second\n"));
        let reader = sniff(Box::new(io::Cursor::new(data))).unwrap();
        assert_eq!(read_all(reader), "first\nsecond\n");
    }

    #[test]
    fn magic_split_across_reads_is_still_seen() {
        // A reader that hands out one byte per fill, like a slow pipe.
        let data = gzip(b"slow\n");
        let slow = BufReader::with_capacity(1, io::Cursor::new(data));
        let reader = sniff(Box::new(slow)).unwrap();
        assert_eq!(read_all(reader), "slow\n");

        let slow = BufReader::with_capacity(1, io::Cursor::new(b"\x1fnot gzip".to_vec()));
        let reader = sniff(Box::new(slow)).unwrap();
        assert_eq!(read_all(reader).as_bytes(), b"\x1fnot gzip");
    }

    #[test]
    fn empty_and_one_byte_inputs() {
        assert_eq!(read_all(sniff(Box::new(io::empty())).unwrap()), "");
        let one = sniff(Box::new(io::Cursor::new(vec![0x1f]))).unwrap();
        let mut bytes = Vec::new();
        let mut one = one;
        one.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, vec![0x1f]);
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = match open(Path::new("/nonexistent/deploy.log")) {
            Err(e) => e,
            Ok(_) => panic!("opened a missing file"),
        };
        assert!(err.to_string().contains("/nonexistent/deploy.log"), "{err}");
    }

    #[test]
    fn corrupt_gzip_is_a_read_error_with_line() {
        let mut data = gzip(b"line one\nline two\n");
        let len = data.len();
        data.truncate(len - 12);
        let reader = sniff(Box::new(io::Cursor::new(data))).unwrap();
        let mut lines = PhysicalLines::new(reader);
        lines.set_path(PathBuf::from("x.log.gz"));
        let mut buf = Vec::new();
        let mut result = Ok(Some(0));
        while let Ok(Some(_)) = result {
            result = lines.read_into(&mut buf);
        }
        let err = result.unwrap_err();
        assert!(matches!(err, LogError::Read { .. }), "{err}");
        assert!(err.to_string().contains("x.log.gz"), "{err}");
    }

    #[test]
    fn physical_lines_are_numbered_and_bounded() {
        let mut data = b"short\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        data.extend(b"\nlast");
        let mut lines = PhysicalLines::new(io::Cursor::new(data));
        let mut buf = Vec::new();
        assert_eq!(lines.read_into(&mut buf).unwrap(), Some(1));
        assert_eq!(buf, b"short");
        assert_eq!(lines.read_into(&mut buf).unwrap(), Some(2));
        assert_eq!(buf.len(), MAX_LINE_BYTES);
        assert_eq!(lines.read_into(&mut buf).unwrap(), Some(2));
        assert_eq!(buf.len(), 10);
        assert_eq!(lines.read_into(&mut buf).unwrap(), Some(3));
        assert_eq!(buf, b"last");
        assert_eq!(lines.read_into(&mut buf).unwrap(), None);
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xfe, 0xff]
        } else {
            vec![0xff, 0xfe]
        };
        for unit in text.encode_utf16() {
            bytes.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        bytes
    }

    fn utf32(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        for c in std::iter::once('\u{feff}').chain(text.chars()) {
            let code = u32::from(c);
            bytes.extend(if big_endian {
                code.to_be_bytes()
            } else {
                code.to_le_bytes()
            });
        }
        bytes
    }

    #[test]
    fn wide_encodings_with_a_bom_are_read_as_utf8() {
        let text = "ERROR: caf\u{e9} \u{1f600} failed\nsecond line\n";
        for big_endian in [false, true] {
            for bytes in [utf16(text, big_endian), utf32(text, big_endian)] {
                let reader = sniff(Box::new(io::Cursor::new(bytes.clone()))).unwrap();
                assert_eq!(read_all(reader), text, "{:02x?}", &bytes[..4]);
                // Gzipped, and read a byte at a time, the same.
                let slow = BufReader::with_capacity(1, io::Cursor::new(gzip(&bytes)));
                assert_eq!(read_all(sniff(Box::new(slow)).unwrap()), text);
            }
        }
    }

    #[test]
    fn broken_wide_text_is_replaced_not_fatal() {
        // A lone surrogate, and a UTF-32 code past the last character.
        let mut bytes = vec![0xff, 0xfe, b'a', 0, 0x00, 0xd8, b'b', 0];
        let reader = sniff(Box::new(io::Cursor::new(bytes.clone()))).unwrap();
        assert_eq!(read_all(reader), "a\u{fffd}b");
        bytes = vec![
            0xff, 0xfe, 0, 0, b'a', 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, b'b',
        ];
        let reader = sniff(Box::new(io::Cursor::new(bytes))).unwrap();
        assert_eq!(read_all(reader), "a\u{fffd}\u{fffd}");
    }
}
