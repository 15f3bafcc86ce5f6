//! Expansion snapshots: the generated code of a few canonical models,
//! pretty-printed by rustfmt, pinned in `tests/expand/<name>.rs` at the
//! workspace root, so a change to the generated code shows in the diff.
//!
//! `M2M_BLESS=1 cargo test -p m2m-derive snapshots` rewrites the files;
//! then read the diff.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::quote;

use super::derive;
use super::tests::errors;

/// A failed snapshot test, shown as written (a test's `Err` is printed
/// with `Debug`, which would escape the diff's newlines).
struct Failure(String);

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where the snapshot files live: `tests/expand/` at the workspace root,
/// beside the UI tests.
fn snapshot_dir() -> PathBuf {
    let derive = Path::new(env!("CARGO_MANIFEST_DIR"));
    derive.parent().map_or_else(
        || derive.join("../tests/expand"),
        |root| root.join("tests/expand"),
    )
}

/// `code` formatted by rustfmt (the toolchain's, edition 2024).
fn rustfmt(code: &str) -> Result<String, Failure> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Failure(format!(
                "expansion snapshots need rustfmt to pretty-print the generated code, and it could not be run ({e}): install it with `rustup component add rustfmt`"
            ))
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(code.as_bytes())
            .map_err(|e| Failure(format!("writing to rustfmt: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| Failure(format!("reading from rustfmt: {e}")))?;
    if !output.status.success() {
        return Err(Failure(format!(
            "rustfmt could not format the expansion:\n{}\n--- the code ---\n{code}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    String::from_utf8(output.stdout).map_err(|e| Failure(format!("rustfmt wrote no UTF-8: {e}")))
}

/// `tokens` as text for rustfmt, which respaces code but not the insides
/// of attributes: those are written as by hand (`::core::clone::Clone`,
/// where a token stream prints `:: core :: clone :: Clone`).
fn print(tokens: TokenStream, out: &mut String) {
    let mut tokens = tokens.into_iter().peekable();
    while let Some(tree) = tokens.next() {
        match &tree {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                if let Some(TokenTree::Group(attr)) = tokens.peek()
                    && attr.delimiter() == Delimiter::Bracket
                {
                    out.push_str("#[");
                    print_attr(attr.stream(), out);
                    out.push_str("] ");
                    tokens.next();
                } else {
                    out.push_str("# ");
                }
            }
            TokenTree::Group(group) => {
                let (open, close) = delimiters(group.delimiter());
                out.push_str(open);
                print(group.stream(), out);
                out.push_str(close);
                out.push(' ');
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                if p.spacing() == Spacing::Alone {
                    out.push(' ');
                }
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                out.push_str(&tree.to_string());
                out.push(' ');
            }
        }
    }
}

/// The inside of an attribute, spaced as written by hand:
/// `derive(::core::clone::Clone, ::core::fmt::Debug)`, `doc = "..."`.
fn print_attr(tokens: TokenStream, out: &mut String) {
    let mut after_word = false;
    for tree in tokens {
        match &tree {
            TokenTree::Group(group) => {
                let (open, close) = delimiters(group.delimiter());
                out.push_str(open);
                print_attr(group.stream(), out);
                out.push_str(close);
            }
            TokenTree::Punct(p) => match p.as_char() {
                ',' => out.push_str(", "),
                '=' => out.push_str(" = "),
                c => out.push(c),
            },
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                if after_word {
                    out.push(' ');
                }
                out.push_str(&tree.to_string());
            }
        }
        after_word = matches!(tree, TokenTree::Ident(_) | TokenTree::Literal(_));
    }
}

/// The opening and closing text of a group.
fn delimiters(delimiter: Delimiter) -> (&'static str, &'static str) {
    match delimiter {
        Delimiter::Parenthesis => ("(", ")"),
        Delimiter::Brace => ("{", "}"),
        Delimiter::Bracket => ("[", "]"),
        Delimiter::None => ("", ""),
    }
}

/// The snapshot of `input`: the struct as written, then its expansion,
/// formatted as one file.
fn render(input: &TokenStream) -> Result<String, Failure> {
    let output = derive(input.clone());
    let errors = errors(&output);
    if !errors.is_empty() {
        return Err(Failure(format!(
            "a canonical model must expand without errors, got {errors:#?}"
        )));
    }
    let mut code = String::from("#[derive(Model)] ");
    print(input.clone(), &mut code);
    print(output, &mut code);
    let header = "// The expansion of `#[derive(Model)]` on the struct below (the struct as\n// written, then the generated items), checked by `cargo test -p m2m-derive\n// snapshots`. After a change to the derive, rewrite it with `M2M_BLESS=1`\n// and read the diff.\n\n";
    Ok(format!("{header}{}", rustfmt(&code)?))
}

/// Compares `input`'s snapshot with `tests/expand/{name}.rs`, or rewrites
/// the file when `M2M_BLESS` is set.
fn snapshot(name: &str, input: TokenStream) -> Result<(), Failure> {
    let actual = render(&input)?;
    let path = snapshot_dir().join(format!("{name}.rs"));
    if std::env::var_os("M2M_BLESS").is_some_and(|v| !v.is_empty() && v != "0") {
        return std::fs::write(&path, &actual)
            .map_err(|e| Failure(format!("writing {}: {e}", path.display())));
    }
    let bless = format!(
        "M2M_BLESS=1 cargo test -p m2m-derive snapshots, then read the diff of {}",
        path.display()
    );
    let expected = std::fs::read_to_string(&path).map_err(|e| {
        Failure(format!(
            "no snapshot {} ({e}); to write it: {bless}",
            path.display()
        ))
    })?;
    if expected == actual {
        return Ok(());
    }
    Err(Failure(format!(
        "the expansion of `{name}` differs from {} (- snapshot, + now):\n{}\nif the change is meant: {bless}",
        path.display(),
        diff(&expected, &actual)
    )))
}

/// The changed lines of `new` against `old`, with two lines of context,
/// cut short after 60 lines.
fn diff(old: &str, new: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    // lcs[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut lines: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            lines.push((' ', old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            lines.push(('-', old[i]));
            i += 1;
        } else {
            lines.push(('+', new[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        lines[k.saturating_sub(2)..lines.len().min(k + 3)]
            .iter()
            .any(|(mark, _)| *mark != ' ')
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (k, (mark, line)) in lines.iter().enumerate() {
        if near_change(k) {
            if skipped {
                out.push("...".to_owned());
                skipped = false;
            }
            out.push(format!("{mark} {line}"));
        } else {
            skipped = true;
        }
    }
    if out.len() > 60 {
        let more = out.len() - 60;
        out.truncate(60);
        out.push(format!("... ({more} more lines)"));
    }
    out.join("\n")
}

/// The canonical models, by snapshot name.
fn canonical_models() -> [(&'static str, TokenStream); 5] {
    [
        // Column options: a renamed unique column, an indexed nullable one, a
        // path type, a raw identifier, a skipped field.
        (
            "plain_model",
            quote! {
                #[model(table = "documents")]
                pub struct Document {
                    pub id: i64,
                    #[model(column = "headline", unique)]
                    pub title: String,
                    #[model(index)]
                    pub body: Option<String>,
                    pub data: ::std::vec::Vec<u8>,
                    pub r#type: String,
                    #[model(skip)]
                    pub cached: Vec<u8>,
                }
            },
        ),
        // A relation with a named reverse accessor, and one with its junction
        // named and the default reverse accessor (with its doc aliases, the
        // table's among them).
        (
            "relation",
            quote! {
                #[model(table = "posts")]
                pub struct Article {
                    pub id: i64,
                    pub title: String,
                    #[many_to_many(related_name = "articles")]
                    pub tags: ManyToMany<Tag>,
                    #[many_to_many(through = "article_topics", source = "article", target = "topic")]
                    pub topics: ManyToMany<crate::topics::Topic>,
                }
            },
        ),
        // Relations to `Self`: symmetrical, and directional with a reverse.
        (
            "self_relation",
            quote! {
                pub struct User {
                    pub id: i64,
                    pub name: String,
                    #[many_to_many(symmetrical)]
                    pub friends: ManyToMany<Self>,
                    #[many_to_many(related_name = "followers")]
                    pub following: ManyToMany<User>,
                }
            },
        ),
        // A relation with pivot data in a through model.
        (
            "through_model",
            quote! {
                pub struct Student {
                    pub id: i64,
                    pub name: String,
                    #[many_to_many(through_model = Enrollment, source = "student_id", target = "course_id", related_name = "students")]
                    pub courses: ManyToMany<Course>,
                }
            },
        ),
        // A `String` key given by the user, which also takes `&str`.
        (
            "string_key",
            quote! {
                pub struct Label {
                    #[model(primary_key)]
                    pub code: String,
                    #[model(unique, index)]
                    pub title: String,
                }
            },
        ),
    ]
}

/// Every canonical model expands as its snapshot says (all are compared,
/// and every difference is shown).
#[test]
fn canonical_expansions_match_their_snapshots() -> Result<(), Failure> {
    let failures: Vec<String> = canonical_models()
        .into_iter()
        .filter_map(|(name, input)| snapshot(name, input).err())
        .map(|Failure(message)| message)
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure(failures.join("\n\n")))
    }
}

#[test]
fn a_diff_shows_the_changed_lines_in_context() {
    let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10";
    let new = "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11";
    assert_eq!(
        diff(old, new),
        "  1\n  2\n- 3\n+ three\n  4\n  5\n...\n  9\n  10\n+ 11"
    );
}
