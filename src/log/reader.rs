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
    if starts_with_gzip_magic(&mut reader)? {
        let decoder = MultiGzDecoder::new(reader);
        Ok(Box::new(BufReader::with_capacity(64 * 1024, decoder)))
    } else {
        Ok(reader)
    }
}

/// Peeks at the first two bytes without consuming them. A first read may
/// return a single byte (pipes do), so it keeps filling until it knows.
fn starts_with_gzip_magic(reader: &mut Box<dyn BufRead>) -> io::Result<bool> {
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.len() >= 2 || available.is_empty() {
            return Ok(available.starts_with(&GZIP_MAGIC));
        }
        if available[0] != GZIP_MAGIC[0] {
            return Ok(false);
        }
        // One byte that could start a gzip header: the only way to see the
        // next one without consuming is to stitch the two together.
        let first = available[0];
        reader.consume(1);
        let mut second = [0u8; 1];
        let n = loop {
            match reader.read(&mut second) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let head = [first, second[0]];
        let prefix: Vec<u8> = head[..1 + n].to_vec();
        let is_gzip = n == 1 && head == GZIP_MAGIC;
        let rest = std::mem::replace(reader, Box::new(io::empty()));
        *reader = Box::new(BufReader::new(io::Cursor::new(prefix).chain(rest)));
        return Ok(is_gzip);
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
}
