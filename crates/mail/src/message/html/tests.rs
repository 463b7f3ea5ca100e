use std::time::{Duration, Instant};

use super::*;

/// The pieces whose text contains `needle`.
fn find<'a>(rich: &'a Rich, needle: &str) -> &'a Piece {
    rich.pieces
        .iter()
        .find(|p| p.text.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} in {rich:?}"))
}

#[test]
fn links_emphasis_and_lists_survive() {
    let rich = render(
        "<h1>Hi</h1><p>This is <b>bold</b>, <em>soft</em> and a \
         <a href=\"https://example.test/x\">link</a>.</p><ul><li>one</li><li>two</li></ul>",
    );
    let text = rich.plain();
    assert!(text.contains("This is bold, soft and a link."), "{text}");
    assert!(text.contains("• one\n• two"), "{text}");
    assert!(rich.pieces.iter().any(|p| p.text.starts_with("Hi") && p.emphasis.strong), "{rich:?}");
    assert!(!text.contains('#'), "{text}");
    let link = rich.pieces.iter().find(|p| p.link.is_some()).unwrap();
    assert_eq!((link.text.as_str(), link.link.as_deref()), ("link", Some("https://example.test/x")));
    assert!(rich.pieces.iter().any(|p| p.text == "bold" && p.emphasis.strong));
    assert!(rich.pieces.iter().any(|p| p.text == "soft" && p.emphasis.italic));
    assert_eq!(rich.remote, 0);
}

#[test]
fn images_keep_their_source_and_remote_ones_are_counted_and_listed() {
    let rich = render(
        "<p>Look:</p><img src=\"https://track.example.test/p.gif\" width=1>\
         <img src=\"http://cdn.example.test/a.png\" alt=\"Logo\">\
         <img src=\"cid:part1\" alt=\"inline\">\
         <div style=\"background: url('https://cdn.example.test/bg.png')\">x</div>\
         <img src=\"https://track.example.test/p.gif\"><img src=\"//cdn.example.test/b.png\">",
    );
    assert_eq!(rich.remote, 4, "three remote images (one twice) and a CSS background");
    assert_eq!(
        rich.remote_images,
        [
            "https://track.example.test/p.gif",
            "http://cdn.example.test/a.png",
            "https://cdn.example.test/b.png"
        ],
        "the background is counted, never fetched"
    );
    let text = rich.plain();
    assert!(text.contains("[Logo]") && text.contains("[inline]"), "{text:?}");
    assert!(!text.contains("http"), "{text:?}");
    let images: Vec<(&str, &str)> =
        rich.pieces.iter().filter_map(|p| Some((p.image.as_deref()?, p.text.trim_end()))).collect();
    assert_eq!(
        images,
        [
            ("https://track.example.test/p.gif", ""),
            ("http://cdn.example.test/a.png", "[Logo]"),
            ("cid:part1", "[inline]"),
            ("https://track.example.test/p.gif", ""),
            ("https://cdn.example.test/b.png", ""),
        ],
        "each image a piece of its own, with or without alt text: {rich:?}"
    );
    assert!(rich.pieces.iter().filter(|p| p.image.is_some()).all(|p| p.emphasis.image));
}

#[test]
fn remote_css_and_hidden_images_are_counted_but_not_listed() {
    let rich = render(
        "<html><head><style>body { background: URL(\"https://cdn.example.test/bg.png\") }\
         .x{background-image:url(cid:local)}</style></head>\
         <body background=\"http://cdn.example.test/body.jpg\">\
         <table><tr><td background='//cdn.example.test/cell.gif'>text</td></tr></table>\
         <div style=\"display:none\"><img src=\"https://track.example.test/hidden.gif\" alt=\"pixel\"></div>\
         <p>url(https://not.counted.test/in-text)</p></body></html>",
    );
    assert_eq!(rich.remote, 4, "{rich:?}");
    assert!(rich.remote_images.is_empty(), "{:?}", rich.remote_images);
    assert_eq!(rich.plain(), "text\n\nurl(https://not.counted.test/in-text)");
}

#[test]
fn white_space_collapses_and_paragraphs_keep_one_empty_line() {
    let rich = render(
        "<p>  lots   of\n\t space &amp; &lt;entities&gt;  </p>\n\n<p>next</p>\
         <p>&nbsp;</p><p><o:p>&nbsp;</o:p></p><div></div><br><br><p>after spacers</p>\
         <div>a<br>b<br><br><br><br>c</div><div>d</div>tail <b> bold </b> end",
    );
    assert_eq!(
        rich.plain(),
        "lots of space & <entities>\n\nnext\n\nafter spacers\n\na\nb\n\nc\nd\ntail bold end"
    );
    let bold = find(&rich, "bold");
    assert!(bold.emphasis.strong && bold.text == "bold ", "{rich:?}");
    // No-break spaces inside a line are the sender's.
    assert_eq!(render("a&nbsp;&nbsp;b").plain(), "a\u{a0}\u{a0}b");
    assert_eq!(render("<p>a</p><p>&nbsp;&nbsp; <b>indented</b></p>").plain(), "a\n\n\u{a0}\u{a0} indented");
    // Outlook's empty lines: a line of a no-break space (or of invisible characters).
    let lines = render("<div>one</div><div>&nbsp;</div><div>&#8203;two</div><div>&zwnj;&nbsp;</div>three");
    assert_eq!(lines.plain(), "one\n\ntwo\n\nthree");
}

#[test]
fn preformatted_text_keeps_its_lines_and_spaces() {
    let rich = render(
        "<p>Code:</p><pre>\nfn main() {\n    println!(\"hi  there\");\n}</pre>\
         <p>Inline <code>a  b</code>, <tt>tt</tt> and <kbd>k</kbd>.</p><textarea> keep   this </textarea>",
    );
    assert_eq!(
        rich.plain(),
        "Code:\n\nfn main() {\n    println!(\"hi  there\");\n}\n\nInline a b, tt and k.\n\n keep   this"
    );
    assert!(find(&rich, "println").emphasis.code);
    assert!(find(&rich, "tt").emphasis.code);
    assert!(!find(&rich, "keep").emphasis.code);
}

#[test]
fn emphasis_of_each_kind() {
    let rich = render(
        "<u>u</u> <ins>ins</ins> <s>s</s> <strike>st</strike> <del>del</del> <em>em</em> \
         <cite>cite</cite> <var>v</var> <strong>strong</strong> <samp>samp</samp> <big>big</big> \
         <small>small</small><h2>Head</h2>",
    );
    let e =
        |t: &str| rich.pieces.iter().find(|p| p.text.trim() == t).unwrap_or_else(|| panic!("{t}")).emphasis;
    assert!(e("u").underline && e("ins").underline);
    assert!(e("s").strike && e("st").strike && e("del").strike);
    assert!(e("em").italic && e("cite").italic && e("v").italic);
    assert!(e("strong").strong && e("samp").code);
    assert_eq!((e("big").size, e("small").size), (1, -1));
    assert!(e("Head").strong && e("Head").size == 1);
    assert_eq!(rich.plain(), "u ins s st del em cite v strong samp big small\n\nHead");
}

#[test]
fn scripts_styles_titles_comments_and_hidden_parts_show_nothing() {
    let rich = render(
        "<html><head><title>Title</title><style>p { color: red }</style>\
         <script>var x = \"<b>no</b>\"; if (a < b) {}</script></head><body>\
         <!-- a comment <b>no</b> --><div style=\"DISPLAY : None\">preheader</div>\
         <span hidden>hidden</span><template>tpl</template><svg><text>svg</text></svg>\
         <noscript>shown</noscript> <unknown-tag>unknown</unknown-tag> <o:p>office</o:p>\
         <iframe>frame</iframe><div style=\"display:block\">visible</div></body></html>",
    );
    assert_eq!(rich.plain(), "shown unknown office\nvisible");
}

#[test]
fn block_elements_start_lines() {
    let rich = render(
        "<address>Addr</address><section>Sect</section>inline<hr>after rule<h3>Title</h3>text\
         <dl><dt>Term</dt><dd>Definition</dd></dl>end",
    );
    assert_eq!(
        rich.plain(),
        "Addr\nSect\ninline\n\nafter rule\n\nTitle\n\ntext\n\nTerm\n    Definition\n\nend"
    );
}

#[test]
fn lists_are_marked_numbered_and_nested() {
    let rich = render(
        "<p>Plan:</p><ol><li>First<ul><li>sub a<li>sub <b>b</b></ul></li><li>Second</li>\
         <li value=7>Seventh</li><li>Eighth</ol><ol start=\"3\"><li>Three</li></ol>\
         <li>stray",
    );
    assert_eq!(
        rich.plain(),
        "Plan:\n\n1. First\n    • sub a\n    • sub b\n2. Second\n7. Seventh\n8. Eighth\n\n3. Three\n\n• stray",
        "{rich:?}"
    );
    assert_eq!(find(&rich, "sub a").block.indent, 1);
    assert_eq!(find(&rich, "Second").block.indent, 0);
}

#[test]
fn quotes_are_a_quote_depth() {
    let rich = render(
        "<div>Reply text</div><blockquote type=\"cite\"><div>Quoted one</div>\
         <blockquote><p>deeper</p><p>deeper 2</p></blockquote><p>back one</p></blockquote><p>after</p>",
    );
    assert_eq!(
        rich.plain(),
        "Reply text\n\n> Quoted one\n>\n> > deeper\n>>\n> > deeper 2\n>\n> back one\n\nafter"
    );
    assert_eq!(find(&rich, "Quoted one").block.quote, 1);
    assert_eq!(find(&rich, "deeper").block.quote, 2);
    assert_eq!(find(&rich, "after").block.quote, 0);
}

#[test]
fn tables_read_row_by_row_with_cells_apart() {
    let rich = render(
        "<p>Order:</p><table border=1><tr><th>Item</th><th>Qty</th><th>Price</th></tr>\
         <tr><td>Apples</td><td> 3 </td><td>1.20 &euro;</td></tr><tr><td>Pears<td>12<td></table>\
         <p>Thanks</p>",
    );
    assert_eq!(rich.plain(), "Order:\n\nItem\tQty\tPrice\nApples\t3\t1.20 €\nPears\t12\n\nThanks");
    assert!(find(&rich, "Item").emphasis.strong && !find(&rich, "Apples").emphasis.strong);
    // A layout table: cells holding blocks read in order, one after the other.
    let layout = render(
        "<table width=\"100%\"><tr><td><table><tr><td><img src=\"cid:logo\" alt=\"Logo\"></td>\
         <td align=right>View online</td></tr></table></td></tr><tr><td><h1>Big news</h1>\
         <p>Body text here.</p></td></tr><tr><td><table><tr><td><p>Col A</p></td><td><p>Col B</p>\
         </td></tr></table></td><td>&nbsp;</td></tr></table>",
    );
    assert_eq!(layout.plain(), "[Logo]\tView online\n\nBig news\n\nBody text here.\n\nCol A\n\nCol B");
}

#[test]
fn links_keep_their_target_unless_it_is_script() {
    let rich = render(
        "<a href=\"mailto:x@example.test\">mail</a> <a href=\" JavaScript:alert(1)\">js</a> \
         <a href=\"http://example.test/?a=1&amp;b=2\">amp</a> <a name=\"top\">anchor</a> \
         <a href=\"https://example.test/a\">open <a href=\"https://example.test/b\">next</a>",
    );
    let link = |t: &str| find(&rich, t).link.as_deref();
    assert_eq!(link("mail"), Some("mailto:x@example.test"));
    assert_eq!(link("js"), None);
    assert_eq!(link("amp"), Some("http://example.test/?a=1&b=2"));
    assert_eq!(link("anchor"), None);
    assert_eq!(link("open"), Some("https://example.test/a"));
    assert_eq!(link("next"), Some("https://example.test/b"), "a link closes the one before it");
    assert_eq!(rich.plain(), "mail js amp anchor open next");
}

#[test]
fn deep_nesting_is_cut_to_a_bound_and_keeps_its_text() {
    let deep = format!(
        "{}deep text{}<p>after</p>",
        "<div><blockquote><b>".repeat(20_000),
        "</b></blockquote></div>".repeat(20_000)
    );
    let rich = render(&deep);
    let text = rich.plain();
    assert!(text.contains("deep text") && text.contains("after"), "{text:?}");
    assert!(find(&rich, "deep text").emphasis.strong, "{rich:?}");
    assert_eq!(find(&rich, "deep text").block.quote as usize, MAX_LEVELS);
    assert_eq!(find(&rich, "after").block, Block::default());
    assert!(!find(&rich, "after").emphasis.strong);
    let lists = format!("{}item{}", "<ul><li>".repeat(10_000), "</li></ul>".repeat(10_000));
    assert_eq!(find(&render(&lists), "item").block.indent as usize, MAX_LEVELS);
}

#[test]
fn opens_beyond_the_bound_are_ignored_and_their_end_tags_close_nothing_else() {
    let rich = render(&format!("{}bold{} plain", "<b>".repeat(1_000), "</b>".repeat(1_000)));
    assert!(find(&rich, "bold").emphasis.strong);
    assert!(!find(&rich, "plain").emphasis.strong, "{rich:?}");
    // Unclosed elements: the rest of the text stays readable.
    let unclosed = render(&format!("{}<p>text</p>", "<i><span><font>".repeat(10_000)));
    assert!(find(&unclosed, "text").emphasis.italic);
}

#[test]
fn large_markup_is_cut_and_strikes_are_not_multiplied() {
    let big = format!("<p>start</p>{}", "<p>more text</p>".repeat(MAX_MARKUP / 10));
    let rich = render(&big);
    assert!(rich.cut && rich.plain().starts_with("start"));
    assert!(rich.plain().len() < MAX_MARKUP, "{}", rich.plain().len());
    assert!(!render("<p>x</p>").cut);
    let struck = render(&format!("{}gone", "<s>".repeat(30)));
    assert_eq!(struck.plain().trim_end(), "gone");
    assert!(struck.pieces[0].emphasis.strike);
}

#[test]
fn hostile_markup_stays_linear() {
    let url = format!("https://example.test/{}", "x".repeat(MAX_SOURCE - 100));
    let cases = [
        // A long link around many styled runs: each run holds the link once.
        format!("<a href=\"{url}\">{}</a>", "<b>x</b>y".repeat(200_000)),
        // Many words, each a piece of text to join.
        "word ".repeat(400_000),
        "&nbsp; ".repeat(300_000),
        "<td>x".repeat(300_000),
        "<li>".repeat(400_000),
        "<br>".repeat(400_000),
        "<img src=\"cid:x\">".repeat(100_000),
        format!("<pre>{}</pre>", "\n".repeat(1_000_000)),
        format!("<a href=\"{url}\">{}", "<img src=\"//cdn.example.test/i.png\">".repeat(50_000)),
        "<".repeat(MAX_MARKUP),
        "<!--".repeat(500_000),
        "<div style=\"display:none\">".repeat(300_000),
    ];
    for markup in &cases {
        let started = Instant::now();
        let rich = render(markup);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(3), "{took:?} for {}…", &markup[..40]);
        let links: usize = rich.pieces.iter().filter_map(|p| p.link.as_ref()).map(String::len).sum();
        assert!(links <= MAX_LINK_BYTES, "{links} bytes of links for {}…", &markup[..40]);
    }
}
