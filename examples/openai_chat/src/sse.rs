//! Server-sent events, as much of them as OpenAI-compatible streams use: `data:` lines
//! gathered into events, events ended by a blank line.
//!
//! A line splitter rather than a crate: chat-completion streams use only `data:` fields
//! (no `id`, `retry`, multi-line reassembly rules beyond joining `data:` lines), and the
//! SSE crates that would fit (`eventsource-stream`) bring a parser-combinator crate along
//! for what is forty lines here.

/// Bytes in, the `data` of each complete event out.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buffer: Vec<u8>,
    /// The `data:` lines of the event being read, joined with `\n`.
    data: Option<String>,
}

impl SseDecoder {
    /// Adds bytes as they arrived (an event may span several pushes).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The data of the next complete event, if one has arrived whole.
    pub fn next_event(&mut self) -> Option<String> {
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    return Some(data);
                }
                continue;
            }
            // `data:value` or `data: value`; other fields and `:` comments are ignored.
            if let Some(value) = line.strip_prefix("data:") {
                let value = value.strip_prefix(' ').unwrap_or(value);
                match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::SseDecoder;

    #[test]
    fn events_split_across_pushes_and_crlf() {
        let mut sse = SseDecoder::default();
        sse.push(b": keep-alive\r\n\r\ndata: {\"a\"");
        assert_eq!(sse.next_event(), None);
        sse.push(b":1}\r\n\r\ndata: [DONE]\n");
        assert_eq!(sse.next_event().as_deref(), Some("{\"a\":1}"));
        assert_eq!(sse.next_event(), None);
        sse.push(b"\n");
        assert_eq!(sse.next_event().as_deref(), Some("[DONE]"));
    }

    #[test]
    fn data_lines_of_one_event_are_joined() {
        let mut sse = SseDecoder::default();
        sse.push(b"event: error\ndata: a\ndata:b\n\n");
        assert_eq!(sse.next_event().as_deref(), Some("a\nb"));
    }
}
