//! Relations between models keyed by `String`, with hostile key text.

use m2m::{Key, Model, SyncMode};

use crate::models::*;

fn codes(keys: &[Key<Language>]) -> Vec<String> {
    keys.iter().map(|k| k.get().clone()).collect()
}

fn codes_of(rows: &[Language]) -> Vec<String> {
    rows.iter().map(|l| l.code.clone()).collect()
}

dual! {
    fn text_keys_insert_get_update() {
        let conn = db();
        let mut l = language(&conn, "fr", "French");
        assert_eq!(Language::get(&conn, "fr").unwrap(), Some(l.clone()));
        assert_eq!(Language::get(&conn, "FR").unwrap(), None);
        l.name = "Français".into();
        l.update(&conn).unwrap();
        assert_eq!(
            Language::get(&conn, l.key()).unwrap().unwrap().name,
            "Français"
        );
        let ghost = Language {
            name: "x".into(),
            code: "zz".into(),
        };
        assert!(matches!(
            ghost.update(&conn),
            Err(m2m::Error::NotFound { .. })
        ));
        let e = Language {
            name: "dup".into(),
            code: "fr".into(),
        }
        .insert(&conn)
        .unwrap_err();
        assert!(e.is_unique_violation(), "{e:?}");
    }
}

dual! {
    fn add_remove_set_fetch_with_text_keys() {
        let conn = db();
        let de = language(&conn, "de", "German");
        let en = language(&conn, "en", "English");
        let fr = language(&conn, "fr", "French");
        let it = language(&conn, "it", "Italian");
        let ch = country(&conn, "CH", "Switzerland");
        let be = country(&conn, "BE", "Belgium");

        assert_eq!(ch.languages().add(&conn, [&it, &fr, &de]).unwrap(), 3);
        assert_eq!(ch.languages().add(&conn, ["fr", "de"]).unwrap(), 0);
        assert_eq!(
            be.languages()
                .add(&conn, vec![Key::new("fr".to_owned())])
                .unwrap(),
            1
        );
        assert_eq!(
            ch.languages().fetch_all(&conn).unwrap(),
            vec![de.clone(), fr.clone(), it.clone()],
            "ordered by text key"
        );
        assert_eq!(
            codes(&ch.languages().keys(&conn).unwrap()),
            ["de", "fr", "it"]
        );
        assert_eq!(ch.languages().fetch_one(&conn).unwrap(), Some(de.clone()));
        assert_eq!(ch.languages().count(&conn).unwrap(), 3);
        assert!(ch.languages().contains(&conn, "it").unwrap());
        assert!(!ch.languages().contains(&conn, &en).unwrap());
        assert_eq!(
            fr.countries()
                .fetch_all(&conn)
                .unwrap()
                .into_iter()
                .map(|c| c.code)
                .collect::<Vec<_>>(),
            ["BE", "CH"]
        );
        assert_eq!(
            codes_of(
                &ch.languages()
                    .filter(|c| c.name.like("%an"))
                    .fetch_all(&conn)
                    .unwrap()
            ),
            ["de", "it"]
        );

        let r = ch.languages().set(&conn, ["en", "fr"]).unwrap();
        assert_eq!(codes(&r.added), ["en"]);
        assert_eq!(codes(&r.removed), ["de", "it"]);
        assert_eq!(ch.languages().remove(&conn, [&fr, &de]).unwrap(), 1);
        assert_eq!(codes(&ch.languages().keys(&conn).unwrap()), ["en"]);
        let r = Country::LANGUAGES
            .of_key("CH")
            .toggle(&conn, ["en", "it"])
            .unwrap();
        assert_eq!(codes(&r.added), ["it"]);
        assert_eq!(codes(&r.removed), ["en"]);
        let r = Language::COUNTRIES
            .of_key("it")
            .sync(&conn, ["BE"], SyncMode::Add)
            .unwrap();
        assert_eq!(
            r.added.iter().map(|k| k.get().as_str()).collect::<Vec<_>>(),
            ["BE"]
        );
        assert_eq!(codes(&be.languages().keys(&conn).unwrap()), ["fr", "it"]);
        assert!(fr.delete(&conn).unwrap());
        assert_eq!(codes(&be.languages().keys(&conn).unwrap()), ["it"]);
    }
}

dual! {
    fn hostile_text_keys_round_trip_through_relations() {
        let conn = db();
        let weird = [
            "it's",
            "\"quoted\"",
            "back\\slash",
            "--",
            "'; DROP TABLE language; --",
            "日本語",
            "🦀",
            "tab\tnew\nline",
            "[1,2]",
            "null",
            "42",
            "",
            " ",
        ];
        let mut langs: Vec<Language> = weird
            .iter()
            .enumerate()
            .map(|(i, code)| language(&conn, code, &format!("lang{i}")))
            .collect();
        langs.sort_by(|a, b| a.code.cmp(&b.code));
        let c = country(&conn, "o'Neill \"🦀\"", "weird");

        assert_eq!(c.languages().add(&conn, weird).unwrap(), weird.len());
        assert_eq!(c.languages().fetch_all(&conn).unwrap(), langs);
        assert_eq!(codes(&c.languages().keys(&conn).unwrap()), codes_of(&langs));
        for code in weird {
            assert!(c.languages().contains(&conn, code).unwrap(), "{code:?}");
            let back = Language::COUNTRIES.of_key(code).keys(&conn).unwrap();
            assert_eq!(back.len(), 1, "{code:?}");
            assert_eq!(back[0].get(), &c.code);
        }
        // The number-like and JSON-like texts stay text, not numbers or arrays.
        assert!(!c.languages().contains(&conn, "1").unwrap());
        let r = c.languages().set(&conn, ["42", "🦀", "it's"]).unwrap();
        assert_eq!(r.removed.len(), weird.len() - 3);
        assert!(r.added.is_empty());
        let mut kept = vec!["42", "it's", "🦀"];
        kept.sort();
        assert_eq!(codes(&c.languages().keys(&conn).unwrap()), kept);
        assert_eq!(
            c.languages().remove(&conn, ["it's", "🦀", "nope"]).unwrap(),
            2
        );
        assert_eq!(codes(&c.languages().keys(&conn).unwrap()), ["42"]);
        assert_eq!(rows_in(&conn, "language"), weird.len() as i64);
    }
}

dual! {
    fn missing_text_key_is_missing_target() {
        let conn = db();
        language(&conn, "en", "English");
        let c = country(&conn, "UK", "United Kingdom");
        c.languages().add(&conn, ["en"]).unwrap();
        assert_missing_target(
            c.languages().add(&conn, ["en", "it's gone"]),
            "Country.languages",
            "'it''s gone'",
        );
        assert_missing_target(
            c.languages().set(&conn, ["nope", "en"]),
            "Country.languages",
            "'nope'",
        );
        assert_eq!(codes(&c.languages().keys(&conn).unwrap()), ["en"]);
        match Country::LANGUAGES.of_key("XX").add(&conn, ["en"]) {
            Err(m2m::Error::MissingOwner { relation, .. }) => {
                assert_eq!(relation, "Country.languages")
            }
            other => panic!("expected MissingOwner, got {other:?}"),
        }
    }
}

dual! {
    fn a_nul_character_in_a_text_key() {
        let conn = db();
        if conn.is_pg() {
            // PostgreSQL's text cannot hold NUL: the insert fails and stores nothing.
            let mut l = Language {
                name: "with NUL".into(),
                code: "a\0b".into(),
            };
            let e = l.insert(&conn).unwrap_err();
            assert!(e.to_string().contains("0x00"), "{e}");
            assert_eq!(rows_in(&conn, "language"), 0);
            return;
        }
        let l = language(&conn, "a\0b", "with NUL");
        let plain = language(&conn, "a", "prefix");
        let c = country(&conn, "X", "x");
        let added = c.languages().add(&conn, [&l]).map_err(|e| e.to_string());
        assert_eq!(added, Ok(1));
        assert_eq!(codes(&c.languages().keys(&conn).unwrap()), ["a\0b"]);
        assert!(!c.languages().contains(&conn, &plain).unwrap());
        let r = c.languages().set(&conn, [&l, &plain]).unwrap();
        assert_eq!(codes(&r.added), ["a"]);
        assert!(r.removed.is_empty());
        assert_eq!(c.languages().remove(&conn, ["a\0b"]).unwrap(), 1);
        assert_eq!(codes(&c.languages().keys(&conn).unwrap()), ["a"]);
    }
}

dual! {
    fn save_of_a_text_keyed_row_keeps_its_links() {
        let conn = db();
        let mut en = language(&conn, "en", "English");
        let mut uk = country(&conn, "UK", "Britain");
        uk.languages().add(&conn, [&en]).unwrap();
        uk.name = "United Kingdom".into();
        uk.save(&conn).unwrap();
        en.name = "British English".into();
        en.save(&conn).unwrap();
        assert_eq!(
            Country::get(&conn, "UK").unwrap().map(|c| c.name),
            Some("United Kingdom".into())
        );
        assert_eq!(uk.languages().fetch_all(&conn).unwrap(), vec![en.clone()]);
        // save of a new text key inserts it.
        let mut ie = Country {
            code: "IE".into(),
            name: "Ireland".into(),
            languages: Default::default(),
        };
        ie.save(&conn).unwrap();
        assert_eq!(ie.languages().add(&conn, [&en]).unwrap(), 1);
        assert_eq!(en.countries().keys(&conn).unwrap().len(), 2);
    }
}
