//! File uploads: a `multipart/form-data` part (the first with a filename, or
//! the one named `file`), or a raw body sent as CSV, TSV, plain text or XLSX.

use crate::error::{AppError, AppResult};
use http::HeaderMap;

const RAW_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "text/tab-separated-values",
    "application/csv",
    "application/octet-stream",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// The uploaded file's bytes.
pub fn file(headers: &HeaderMap, body: &[u8]) -> AppResult<Vec<u8>> {
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if body.is_empty() {
        return Err(AppError::validation("the request has no file"));
    }
    if mime == "multipart/form-data" {
        let boundary = content_type
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("boundary="))
            .next()
            .map(|b| b.trim_matches('"'))
            .filter(|b| !b.is_empty())
            .ok_or_else(|| AppError::validation("multipart/form-data without a boundary"))?;
        return multipart_file(body, boundary);
    }
    if RAW_TYPES.contains(&mime.as_str()) {
        return Ok(body.to_vec());
    }
    Err(AppError::UnsupportedMediaType(format!(
        "send the file as multipart/form-data, text/csv, text/plain or XLSX; got {:?}",
        if content_type.is_empty() { "(none)" } else { content_type }
    )))
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..].windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

fn multipart_file(body: &[u8], boundary: &str) -> AppResult<Vec<u8>> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut pos = find(body, d, 0).ok_or_else(|| AppError::validation("malformed multipart body"))?;
    let mut fallback = None;
    loop {
        let part_start = pos + d.len();
        if body.get(part_start..part_start + 2) == Some(b"--") {
            break;
        }
        let headers_end = find(body, b"\r\n\r\n", part_start).ok_or_else(|| AppError::validation("malformed multipart body"))?;
        let headers = String::from_utf8_lossy(&body[part_start..headers_end]).to_ascii_lowercase();
        let content_start = headers_end + 4;
        let next = find(body, d, content_start).ok_or_else(|| AppError::validation("malformed multipart body"))?;
        let content_end = next.saturating_sub(2).max(content_start); // strip the CRLF before the delimiter
        let content = body[content_start..content_end].to_vec();
        if headers.contains("filename=") {
            return Ok(content);
        }
        if headers.contains("name=\"file\"") && fallback.is_none() {
            fallback = Some(content);
        }
        pos = next;
    }
    fallback.ok_or_else(|| AppError::field("file", "the multipart body has no file part"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(ct: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::CONTENT_TYPE, ct.parse().unwrap());
        h
    }

    #[test]
    fn multipart_file_part_is_extracted() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.csv\"\r\nContent-Type: text/csv\r\n\r\nKeyword,Volume\r\nshoes,10\r\n--XyZ--\r\n";
        let got = file(&headers("multipart/form-data; boundary=XyZ"), body).unwrap();
        assert_eq!(got, b"Keyword,Volume\r\nshoes,10");
    }

    #[test]
    fn raw_bodies_and_bad_types() {
        assert_eq!(file(&headers("text/csv"), b"a\nb").unwrap(), b"a\nb");
        assert_eq!(file(&headers("image/png"), b"x").unwrap_err().code(), "UNSUPPORTED_MEDIA_TYPE");
        assert_eq!(file(&headers("multipart/form-data"), b"x").unwrap_err().code(), "VALIDATION_ERROR");
        assert_eq!(file(&headers("multipart/form-data; boundary=q"), b"--q\r\nbroken").unwrap_err().code(), "VALIDATION_ERROR");
        assert_eq!(file(&headers("text/csv"), b"").unwrap_err().code(), "VALIDATION_ERROR");
    }
}
