//! Names: the snake_case of a struct's name, the stem of every default name
//! (`BlogPost` -> table `blog_post`, columns `blog_post_id`).

/// `BlogPost` -> `blog_post`, `HTTPServer` -> `http_server`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) => p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()),
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A guess at the English plural of a snake_case name (`article` ->
/// `articles`, `category` -> `categories`, `box` -> `boxes`), for doc aliases
/// that lead a user who guessed a name to the real one.
pub(crate) fn plural(name: &str) -> String {
    let consonant_y = name.strip_suffix('y').filter(|stem| {
        stem.chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphabetic() && !"aeiou".contains(c))
    });
    if let Some(stem) = consonant_y {
        format!("{stem}ies")
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| name.ends_with(end))
    {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_struct_names() {
        for (name, snake) in [
            ("Tag", "tag"),
            ("BlogPost", "blog_post"),
            ("HTTPServer", "http_server"),
            ("UserV2Profile", "user_v2_profile"),
            ("ABC", "abc"),
            ("already_snake", "already_snake"),
            ("Snake_Case", "snake_case"),
        ] {
            assert_eq!(snake_case(name), snake);
        }
    }

    #[test]
    fn plurals() {
        for (name, plural_name) in [
            ("article", "articles"),
            ("category", "categories"),
            ("day", "days"),
            ("box", "boxes"),
            ("blog_post", "blog_posts"),
        ] {
            assert_eq!(plural(name), plural_name);
        }
    }
}
