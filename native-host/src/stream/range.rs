//! One `Range: bytes=…` header against a file length. Syntax comes from `http-range-header`;
//! the semantics here follow RFC 9110 §14.1.2 exactly (a suffix longer than the file selects the
//! whole file, an end past EOF is clamped, a start at or past EOF is unsatisfiable).

use http_range_header::{EndPosition, StartPosition};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No Range header: the whole file, 200.
    Full,
    /// `first..=last`, 206.
    Partial { first: u64, last: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("range not satisfiable: the file has {len} bytes")]
    Unsatisfiable { len: u64 },
    #[error("malformed Range header {header:?}: {reason}")]
    Malformed { header: String, reason: String },
    #[error("multiple ranges are not supported; ask for one range at a time")]
    Multiple,
}

pub fn parse(header: Option<&str>, len: u64) -> Result<RangeRequest, RangeError> {
    let Some(header) = header else {
        return Ok(RangeRequest::Full);
    };
    let parsed = http_range_header::parse_range_header(header.trim()).map_err(|e| {
        RangeError::Malformed {
            header: header.chars().take(100).collect(),
            reason: e
                .to_string()
                .trim_start_matches("RangeUnsatisfiable: ")
                .to_string(),
        }
    })?;
    let [range] = parsed.ranges.as_slice() else {
        return Err(RangeError::Multiple);
    };
    let unsatisfiable = RangeError::Unsatisfiable { len };
    if len == 0 {
        return Err(unsatisfiable);
    }
    let (first, last) = match (range.start, range.end) {
        (StartPosition::FromLast(n), _) => (len.saturating_sub(n), len - 1),
        (StartPosition::Index(first), EndPosition::LastByte) => (first, len - 1),
        (StartPosition::Index(first), EndPosition::Index(last)) => {
            if last < first {
                return Err(RangeError::Malformed {
                    header: header.chars().take(100).collect(),
                    reason: "the range ends before it starts".into(),
                });
            }
            (first, last.min(len - 1))
        }
    };
    if first >= len {
        return Err(unsatisfiable);
    }
    Ok(RangeRequest::Partial { first, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(first: u64, last: u64) -> Result<RangeRequest, RangeError> {
        Ok(RangeRequest::Partial { first, last })
    }

    #[test]
    fn single_ranges() {
        assert_eq!(parse(None, 100), Ok(RangeRequest::Full));
        assert_eq!(parse(Some("bytes=0-9"), 100), p(0, 9));
        assert_eq!(parse(Some("bytes=90-"), 100), p(90, 99));
        assert_eq!(parse(Some("bytes=-10"), 100), p(90, 99));
        assert_eq!(
            parse(Some("bytes=-1000"), 100),
            p(0, 99),
            "suffix longer than file"
        );
        assert_eq!(parse(Some("bytes=50-1000"), 100), p(50, 99), "end clamped");
        assert_eq!(parse(Some("bytes=99-99"), 100), p(99, 99));
    }

    #[test]
    fn unsatisfiable_and_bad_ranges() {
        assert_eq!(
            parse(Some("bytes=100-"), 100),
            Err(RangeError::Unsatisfiable { len: 100 })
        );
        assert_eq!(
            parse(Some("bytes=200-300"), 100),
            Err(RangeError::Unsatisfiable { len: 100 })
        );
        assert_eq!(
            parse(Some("bytes=0-"), 0),
            Err(RangeError::Unsatisfiable { len: 0 })
        );
        assert_eq!(parse(Some("bytes=0-1,5-6"), 100), Err(RangeError::Multiple));
        for bad in [
            "bytes=a-b",
            "items=0-1",
            "bytes=",
            "bytes=5-1",
            "bytes=--1",
            "0-1",
        ] {
            let err = parse(Some(bad), 100).unwrap_err();
            assert!(
                matches!(err, RangeError::Malformed { .. }),
                "{bad}: {err:?}"
            );
            assert!(
                err.to_string().starts_with("malformed Range header"),
                "{bad}: {err}"
            );
        }
    }
}
