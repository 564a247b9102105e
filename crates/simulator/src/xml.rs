//! Rendering gluster 10.3's `<cliOutput>` documents.

use std::fmt::Write;

/// Escapes text for an XML element.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Builds an indented XML document the way gluster's libxml2 writer prints it.
#[derive(Debug, Default)]
pub struct Doc {
    out: String,
    depth: usize,
}

impl Doc {
    /// A document with the XML declaration and an open `<cliOutput>` holding opRet/opErrno/
    /// opErrstr.
    pub fn cli_output(op_ret: i32, op_errno: i32, op_errstr: &str) -> Self {
        let mut d = Doc {
            out: "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n".to_owned(),
            depth: 0,
        };
        d.open("cliOutput");
        d.leaf("opRet", &op_ret.to_string());
        d.leaf("opErrno", &op_errno.to_string());
        if op_errstr.is_empty() {
            d.empty("opErrstr");
        } else {
            d.leaf("opErrstr", op_errstr);
        }
        d
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// Opens an element.
    pub fn open(&mut self, name: &str) -> &mut Self {
        self.indent();
        let _ = writeln!(self.out, "<{name}>");
        self.depth += 1;
        self
    }

    /// Closes an element.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.out, "</{name}>");
        self
    }

    /// An element with text.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.indent();
        let _ = writeln!(self.out, "<{name}>{}</{name}>", esc(text));
        self
    }

    /// An empty element.
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.indent();
        let _ = writeln!(self.out, "<{name}/>");
        self
    }

    /// A raw line (mixed content such as `<brick uuid="…">name<name>…</name>…</brick>`).
    pub fn raw(&mut self, line: &str) -> &mut Self {
        self.indent();
        self.out.push_str(line);
        self.out.push('\n');
        self
    }

    /// Closes `<cliOutput>` and returns the text.
    pub fn finish(mut self) -> String {
        self.close("cliOutput");
        self.out
    }
}

/// A refusal: `opRet -1` with gluster's message; commands that go through
/// `cli_xml_output_str` also name their `cliOp` and repeat the message in `<output>`.
pub fn error(op_errno: i32, message: &str, cli_op: Option<&str>) -> String {
    let mut d = Doc::cli_output(-1, op_errno, message);
    if let Some(op) = cli_op {
        d.leaf("cliOp", op);
        d.leaf("output", message);
    }
    d.finish()
}
