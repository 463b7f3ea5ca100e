//! Rich text as the reader shows it, whatever it came as (HTML, text/enriched): runs of text
//! with their emphasis and link, each in a paragraph layout (alignment, quote depth, indent).
//! No GUI types: the GUI turns pieces into its spans, the CLI prints [`Rich::plain`].

use serde::Serialize;

/// How a run of text is set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Emphasis {
    pub strong: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    /// Code, preformatted or fixed-width: monospace.
    pub code: bool,
    /// An image's alt text, standing in for the image.
    pub image: bool,
    /// Steps bigger (positive) or smaller (negative) than the body text.
    pub size: i8,
}

/// Horizontal alignment of a paragraph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
    Justify,
}

/// The layout of the lines a piece belongs to. It changes only at line starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Block {
    pub align: Align,
    /// Quote depth (an excerpt of another message).
    pub quote: u8,
    /// Steps of left indentation.
    pub indent: u8,
    /// Steps of right indentation.
    pub indent_right: u8,
    /// Lines are kept as they are, not filled.
    pub nofill: bool,
}

/// A styled run of text. Line ends are "\n" inside the text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Piece {
    pub text: String,
    pub link: Option<String>,
    /// The piece stands for an image: its source as the body gives it (`cid:…` for a part of
    /// the message, or a remote URL). The text is its alt text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub emphasis: Emphasis,
    pub block: Block,
}

/// A rich body ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rich {
    /// Pieces in order.
    pub pieces: Vec<Piece>,
    /// Distinct remote resources (images, CSS backgrounds) referred to and not fetched.
    pub remote: usize,
    /// The distinct remote images among them (http and https URLs, in order of first use),
    /// which the reader may fetch when the person allows it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote_images: Vec<String>,
    /// The text was cut at the size bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
}

impl Rich {
    /// The text without styling (tests, copying, the CLI): quoted lines start with "> " per
    /// level and indented lines with four spaces per step, as in a plain text mail.
    pub fn plain(&self) -> String {
        let mut out = String::with_capacity(self.pieces.iter().map(|p| p.text.len()).sum());
        let mut line_start = true;
        for piece in &self.pieces {
            for (i, part) in piece.text.split('\n').enumerate() {
                if i > 0 {
                    if line_start {
                        // An empty line inside a quote keeps its quote marks.
                        out.push_str(&">".repeat(usize::from(piece.block.quote)));
                    }
                    out.push('\n');
                    line_start = true;
                }
                if part.is_empty() {
                    continue;
                }
                if line_start {
                    for _ in 0..piece.block.quote {
                        out.push_str("> ");
                    }
                    for _ in 0..piece.block.indent {
                        out.push_str("    ");
                    }
                    line_start = false;
                }
                out.push_str(part);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(text: &str, block: Block) -> Piece {
        Piece { text: text.into(), block, ..Piece::default() }
    }

    #[test]
    fn plain_joins_pieces_and_marks_quotes_and_indents() {
        let quote = Block { quote: 2, ..Block::default() };
        let indent = Block { indent: 1, ..Block::default() };
        let rich = Rich {
            pieces: vec![
                piece("Hello ", Block::default()),
                piece("you\n", Block::default()),
                piece("said\n\nthis\n", quote),
                piece("aside", indent),
            ],
            ..Rich::default()
        };
        assert_eq!(rich.plain(), "Hello you\n> > said\n>>\n> > this\n    aside");
    }

    #[test]
    fn serialises_for_the_cli() {
        let rich = Rich { pieces: vec![piece("x", Block::default())], ..Rich::default() };
        let json = serde_json::to_value(&rich).unwrap();
        assert_eq!(json["pieces"][0]["block"]["align"], "left");
        assert_eq!(json["pieces"][0]["emphasis"]["size"], 0);
        assert!(json.get("cut").is_none(), "{json}");
    }
}
