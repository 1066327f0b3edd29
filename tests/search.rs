//! Full-text search ranks over ctodb.bug_search, the narrow relation of the bugs'
//! documents: the same top results, in the same order with the same scores, as ranking
//! each bug's own title and description, through inserts, edits and deletes.

use crate::common::TestDb;

const FULLTEXT: &str =
    concat!(include_str!("../sql/search/bugs_fulltext.sql"), include_str!("../sql/search/bug_rows.sql"));

/// The ranking as the bugs' own text gives it (what the generated column held before the
/// documents moved out of the bugs heap).
const FROM_BUGS: &str = "
    WITH q AS (SELECT websearch_to_tsquery('english', $1::text) AS ts)
    SELECT b.bug_number::text, round(ts_rank(to_tsvector('english', b.title || ' ' || coalesce(b.description, '')), q.ts, 32)::numeric, 4)::text
    FROM bugs b, q
    WHERE to_tsvector('english', b.title || ' ' || coalesce(b.description, '')) @@ q.ts
    ORDER BY ts_rank(to_tsvector('english', b.title || ' ' || coalesce(b.description, '')), q.ts, 32) DESC, b.bug_number
    LIMIT $2";

fn top(client: &mut postgres::Client, sql: &str, text: &str) -> Vec<(String, String)> {
    let limit: i64 = 20;
    let rows = if sql == FULLTEXT {
        // no partial words: the prefixes parameter is empty
        let sql = format!("SELECT f.ref, f.score::text FROM ({}) f", sql.trim_end().trim_end_matches(';'));
        // no partial words, every bug (no window of the newest)
        client.query(sql.as_str(), &[&text, &limit, &"", &0i64]).unwrap()
    } else {
        client.query(sql, &[&text, &limit]).unwrap()
    };
    rows.iter().map(|row| (row.get(0), row.get(1))).collect()
}

/// The bug numbers a `search --bugs -f csv` listed, in order.
fn bug_refs(csv: &str) -> Vec<String> {
    csv.lines().skip(1).map(|line| line.split(',').nth(1).unwrap_or_default().to_string()).collect()
}

#[test]
fn the_narrow_relation_ranks_the_top_20_as_the_bugs_own_text_does() {
    let db = TestDb::new("search_top_20");
    db.run_status(&["seed", "--profile", "standard", "--as-of", "2026-11-25T12:00:00Z"]);
    let mut client = db.client();
    let common: Vec<String> = client
        .query("SELECT word FROM search_words ORDER BY ndoc DESC, word LIMIT 3", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut queries = vec![
        common[0].clone(),
        format!("{} {}", common[0], common[1]),
        common.join(" "),
        "login timeout".to_string(),
        "payment webhook".to_string(),
        "zzqxv".to_string(),
    ];
    let agree = |client: &mut postgres::Client, queries: &[String]| {
        for text in queries {
            let expected = top(client, FROM_BUGS, text);
            assert_eq!(top(client, FULLTEXT, text), expected, "the top 20 for {text:?}");
            if text != "zzqxv" {
                assert_eq!(expected.len(), 20, "{text:?} matches at least 20 bugs");
            }
        }
    };
    agree(&mut client, &queries);

    // doctor measures the worst case: the most common words, the matches counted right
    let doctor = db.run(&["doctor", "-f", "csv"]);
    let line =
        doctor.lines().find(|l| l.starts_with("true,search worst case,")).expect("the worst-case line");
    let quoted: Vec<&str> = line.split("\"\"").collect();
    // the detail is a quoted CSV field: """show"": 3798 matches in …"
    let (text, rest) = (quoted[1].trim_start_matches('"'), quoted[2]);
    assert!(text == common[0] || text == format!("{} {}", common[0], common[1]), "{line} {common:?}");
    let matches: i64 = rest.trim_start_matches(": ").split(' ').next().unwrap().parse().expect("a count");
    let counted = client
        .query_one(
            "SELECT count(*) FROM ctodb.bug_search WHERE search_vector @@ websearch_to_tsquery('english', $1)",
            &[&text],
        )
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(matches, counted, "{line}");
    assert!(rest.contains(" matches in ") && rest.contains("; costliest plan node "), "{line}");

    // a partial word is searched as the prefix of the words it begins, ranked
    let partial: String = client
        .query_one(
            "SELECT left(w.word, 5) FROM search_words w
             WHERE length(w.word) >= 9
               AND NOT EXISTS (SELECT 1 FROM search_words d WHERE levenshtein(d.word, left(w.word, 5)) <= 2)
             ORDER BY w.ndoc DESC, w.word LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    let listed = db.ctodb(&["search", &partial, "--bugs", "--limit", "5", "-f", "csv"]);
    assert!(listed.stderr_text().contains(&format!("searching for words that begin with \"{partial}\"")));
    let refs = bug_refs(&listed.ok());
    let by_prefix: Vec<String> = client
        .query(
            "SELECT b.bug_number::text FROM bugs b, to_tsquery('english', $1 || ':*') q (ts)
             WHERE to_tsvector('english', b.title || ' ' || coalesce(b.description, '')) @@ q.ts
             ORDER BY ts_rank(to_tsvector('english', b.title || ' ' || coalesce(b.description, '')), q.ts, 32) DESC,
                      b.bug_number
             LIMIT 5",
            &[&partial],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(by_prefix.len(), 5);
    assert_eq!(refs, by_prefix);

    // stop words alone: no bug is searched for them (title similarity would hold half the
    // titles)
    let stop = db.ctodb(&["search", "of the", "--bugs", "-f", "csv"]);
    assert!(stop
        .stderr_text()
        .contains("only common English words (stop words): no bug is searched for them"));
    assert_eq!(stop.ok().lines().count(), 1, "a header only");

    // a word no bug or project holds is left out while other words remain (it would only
    // empty the AND)
    let any = format!("{} zzqxv", common[0]);
    let listed = db.ctodb(&["search", &any, "--bugs", "--limit", "5", "-f", "csv"]);
    assert!(listed.stderr_text().contains("no bug or project mentions \"zzqxv\"; searching without it"));
    let refs = bug_refs(&listed.ok());
    let expected: Vec<String> =
        top(&mut client, FROM_BUGS, &common[0]).into_iter().take(5).map(|(r, _)| r).collect();
    assert_eq!(refs, expected);

    // edits: a bug becomes the best match for a new phrase; another is renumbered; some go
    client
        .batch_execute(
            "UPDATE bugs SET title = 'Quokka quokka dashboard', description = 'quokka quokka quokka'
             WHERE bug_number = 42;
             UPDATE bugs SET description = NULL WHERE bug_number BETWEEN 100 AND 120;
             UPDATE bugs SET bug_number = 99999999 WHERE bug_number = 7;
             DELETE FROM bugs WHERE bug_number BETWEEN 200 AND 400;
             INSERT INTO bugs (project_id, title, description, severity)
             SELECT project_id, 'Quokka import ' || n, 'the quokka sync fails', 'low'
             FROM bugs, generate_series(1, 30) n WHERE bug_number = 1;",
        )
        .unwrap();
    queries.push("quokka".to_string());
    agree(&mut client, &queries);
    assert_eq!(top(&mut client, FULLTEXT, "quokka")[0].0, "42");
    assert_eq!(
        db.count("SELECT count(*) FROM ctodb.bug_search"),
        db.count("SELECT count(*) FROM bugs"),
        "one document per bug"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM bugs b JOIN ctodb.bug_search s USING (bug_number)
             WHERE s.search_vector = to_tsvector('english', b.title || ' ' || coalesce(b.description, ''))"
        ),
        db.count("SELECT count(*) FROM bugs"),
        "every document is its bug's current text"
    );

    // two words rarely together: the 3 bugs holding both come first, then those holding
    // one of them fill up, ranked as full text ranks them (more mentions first)
    client
        .batch_execute(
            "INSERT INTO bugs (project_id, title, description, severity)
             SELECT project_id, 'Wombat burrow ' || n, repeat('wombat ', 1 + n % 4), 'low'
             FROM bugs, generate_series(1, 10) n WHERE bug_number = 1;
             INSERT INTO bugs (project_id, title, description, severity)
             SELECT project_id, 'Wombat meets quokka ' || n, NULL, 'low'
             FROM bugs, generate_series(1, 3) n WHERE bug_number = 1;",
        )
        .unwrap();
    db.run_status(&["refresh", "--as-of", "2026-11-25T12:00:00Z"]);
    let listed = db.run(&["search", "quokka wombat", "--bugs", "--limit", "10", "-f", "csv"]);
    let refs = bug_refs(&listed);
    let mut expected: Vec<String> =
        top(&mut client, FROM_BUGS, "quokka wombat").into_iter().map(|(r, _)| r).collect();
    assert_eq!(expected.len(), 3);
    let either: Vec<String> =
        top(&mut client, FROM_BUGS, "quokka or wombat").into_iter().map(|(r, _)| r).collect();
    let both = expected.clone();
    expected.extend(either.into_iter().filter(|r| !both.contains(r)).take(7));
    assert_eq!(refs, expected, "{listed}");

    client.batch_execute("TRUNCATE bugs CASCADE").unwrap();
    assert_eq!(db.count("SELECT count(*) FROM ctodb.bug_search"), 0);
}

#[test]
fn the_nightly_refresh_rebuilds_the_dictionary_only_after_text_changed() {
    let db = TestDb::new("search_words_rebuilt");
    let as_of = "2026-11-25T12:00:00Z";
    db.run_status(&["seed", "--as-of", as_of]);
    let mut client = db.client();
    // REFRESH MATERIALIZED VIEW writes a new file: its number tells a rebuild
    let filenode = |client: &mut postgres::Client| -> i64 {
        client.query_one("SELECT pg_relation_filenode('search_words')::bigint", &[]).unwrap().get(0)
    };
    let words = |client: &mut postgres::Client| -> i64 {
        client.query_one("SELECT count(*) FROM search_words WHERE word = 'quokkaflux'", &[]).unwrap().get(0)
    };
    let seeded = filenode(&mut client);
    db.run_status(&["refresh", "--as-of", as_of]);
    db.run_status(&["refresh", "--as-of", "2026-11-26T12:00:00Z"]);
    assert_eq!(filenode(&mut client), seeded, "a refresh that changed no text rebuilt the dictionary");
    // a title edited outside ctodb: the next refresh takes its words in
    client
        .batch_execute("UPDATE bugs SET title = 'Quokkaflux stalls the export' WHERE bug_number = 1")
        .unwrap();
    db.run_status(&["refresh", "--as-of", as_of]);
    assert_ne!(filenode(&mut client), seeded);
    assert_eq!(words(&mut client), 1);
    let rebuilt = filenode(&mut client);
    db.run_status(&["refresh", "--as-of", as_of]);
    assert_eq!(filenode(&mut client), rebuilt);
    // a project renamed counts as text too
    client.batch_execute("UPDATE projects SET name = 'Quokkaflux Labs' WHERE name = 'Comet Mobile'").unwrap();
    db.run_status(&["refresh", "--as-of", as_of]);
    assert_ne!(filenode(&mut client), rebuilt);
    assert_eq!(words(&mut client), 1, "the project's name is one more use of the word, in one row");
}

/// The top `limit` of every bug numbered above `floor` matching `text`, ranked as full
/// text ranks (the bugs' own text), for comparison with `ctodb search`.
fn newest_top(client: &mut postgres::Client, text: &str, floor: i64, limit: i64) -> Vec<String> {
    client
        .query(
            "WITH q AS (SELECT websearch_to_tsquery('english', $1::text) AS ts)
             SELECT b.bug_number::text FROM bugs b, q
             WHERE to_tsvector('english', b.title || ' ' || coalesce(b.description, '')) @@ q.ts
               AND b.bug_number > $2
             ORDER BY ts_rank(to_tsvector('english', b.title || ' ' || coalesce(b.description, '')), q.ts, 32) DESC,
                      b.bug_number
             LIMIT $3",
            &[&text, &floor, &limit],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn words_in_too_many_bugs_are_ranked_among_the_newest_and_widen_when_those_hold_too_few() {
    let db = TestDb::new("search_window");
    db.run_status(&["seed", "--profile", "large", "--as-of", "2026-11-25T12:00:00Z"]);
    let mut client = db.client();
    let row = client
        .query_one("SELECT word, ndoc::bigint FROM search_words ORDER BY ndoc DESC, word LIMIT 1", &[])
        .unwrap();
    let (word, holding): (String, i64) = (row.get(0), row.get(1));
    let newest: i64 = client.query_one("SELECT max(bug_number) FROM ctodb.bug_search", &[]).unwrap().get(0);
    let bugs = db.count("SELECT count(*) FROM bugs");
    assert!(holding > 20_000, "{word} is in {holding} of {bugs} bugs");
    // the newest bugs that would hold 20,000 of its matches, as queries/search.rs sizes them
    let window = ((20_000.0 * bugs as f64 / holding as f64).ceil() as i64).min(100_000);
    let listed = db.ctodb(&["search", &word, "--bugs", "-f", "csv"]);
    let said = listed.stderr_text();
    assert!(
        said.contains(&format!(
            "every word together may be in up to {} bugs: the newest {} bugs were searched",
            crate::common::grouped(&holding.to_string()),
            crate::common::grouped(&window.to_string())
        )),
        "{said}"
    );
    assert_eq!(bug_refs(&listed.ok()), newest_top(&mut client, &word, newest - window, 20));

    // a word every one of whose bugs is older than the window: the newest bugs hold none,
    // so every bug is searched after all (and nothing is said of a window)
    client
        .batch_execute(
            "UPDATE bugs SET description = coalesce(description, '') || ' okapi' WHERE bug_number <= 30000",
        )
        .unwrap();
    db.run_status(&["refresh", "--as-of", "2026-11-25T12:00:00Z"]);
    let listed = db.ctodb(&["search", "okapi", "--bugs", "-f", "csv"]);
    assert!(!listed.stderr_text().contains("were searched"), "{}", listed.stderr_text());
    let found = bug_refs(&listed.ok());
    assert_eq!(found.len(), 20);
    assert_eq!(found, newest_top(&mut client, "okapi", 0, 20));
}

#[test]
fn each_project_keeps_its_description_document_through_every_write() {
    let db = TestDb::new("search_project_documents");
    db.run_status(&["seed", "--profile", "standard", "--as-of", "2026-11-25T12:00:00Z"]);
    let mut client = db.client();
    let agree = |db: &TestDb| {
        assert_eq!(
            db.count(
                "SELECT count(*) FROM projects p JOIN ctodb.project_search s ON s.project_id = p.id
                 WHERE s.description_vector = to_tsvector('english', coalesce(p.description, ''))"
            ),
            db.count("SELECT count(*) FROM projects"),
            "one current document per project"
        );
        assert_eq!(
            db.count("SELECT count(*) FROM ctodb.project_search"),
            db.count("SELECT count(*) FROM projects")
        );
    };
    agree(&db);
    client
        .batch_execute(
            "UPDATE projects SET description = 'Okapi ledger reconciliation' WHERE name = (SELECT min(name) FROM projects);
             UPDATE projects SET description = NULL WHERE name IN (SELECT name FROM projects ORDER BY name DESC LIMIT 3);
             DELETE FROM bugs WHERE project_id IN (SELECT id FROM projects ORDER BY name LIMIT 5 OFFSET 10);
             DELETE FROM project_metrics WHERE project_id IN (SELECT id FROM projects ORDER BY name LIMIT 5 OFFSET 10);
             DELETE FROM monthly_metrics WHERE project_id IN (SELECT id FROM projects ORDER BY name LIMIT 5 OFFSET 10);
             DELETE FROM projects WHERE id IN (SELECT id FROM projects ORDER BY name LIMIT 5 OFFSET 10);",
        )
        .unwrap();
    agree(&db);
    // the projects half (search/projects.sql, as ctodb search binds it) lists what one
    // query over the projects' own text lists; "okapi" is the edited description's word
    let helper = include_str!("../sql/search/projects.sql");
    let limit: i64 = 20;
    // the commonest tag: more holders than the limit, so that the helper's bound on tag
    // holders (the first twenty by name) is what is tested
    let row = client
        .query_one(
            "SELECT t, count(*) FROM projects, unnest(tags) t GROUP BY t ORDER BY 2 DESC, t LIMIT 1",
            &[],
        )
        .unwrap();
    let (tag, holders): (String, i64) = (row.get(0), row.get(1));
    assert!(holders > 20, "{tag} is on {holders} projects");
    for text in ["payments", "platform", "okapi", "okapi ledger", tag.as_str(), &format!("{tag} payments")] {
        let expected: Vec<String> = client
            .query(
                "WITH q AS (SELECT $1::text AS text, websearch_to_tsquery('english', $1::text) AS ts)
                 SELECT p.name FROM projects p, q
                 WHERE q.text <% p.name OR p.tags && string_to_array(lower(q.text), ' ')
                    OR to_tsvector('english', coalesce(p.description, '')) @@ q.ts
                 ORDER BY round(greatest(word_similarity(q.text, p.name),
                                CASE WHEN p.tags && string_to_array(lower(q.text), ' ') THEN 0.9 ELSE 0 END,
                                ts_rank_cd(to_tsvector('english', coalesce(p.description, '')), q.ts))::numeric, 4) DESC,
                          p.name
                 LIMIT $2",
                &[&text, &limit],
            )
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        let got: Vec<String> =
            client.query(helper, &[&text, &limit]).unwrap().iter().map(|row| row.get("ref")).collect();
        assert_eq!(got, expected, "{text}");
        assert!(!expected.is_empty(), "{text}");
    }
    let first: String = client.query_one("SELECT min(name) FROM projects", &[]).unwrap().get(0);
    let okapi: Vec<String> =
        client.query(helper, &[&"okapi", &limit]).unwrap().iter().map(|row| row.get("ref")).collect();
    assert_eq!(okapi, vec![first]);
    client.batch_execute("TRUNCATE projects CASCADE").unwrap();
    assert_eq!(db.count("SELECT count(*) FROM ctodb.project_search"), 0);
}

#[test]
fn a_correction_names_only_the_words_replaced_and_never_corrects_a_known_word() {
    let db = TestDb::new("search_corrections");
    db.run_status(&["seed", "--as-of", "2026-11-25T12:00:00Z"]);
    let known = db.ctodb(&["search", "double charge", "-f", "csv"]);
    assert!(known.ok().contains("Checkout double-charges the card on retry"));
    // nothing said: no word was replaced (before, the stems were shown as a correction)
    assert!(!known.stderr_text().contains("searching for"), "{}", known.stderr_text());
    assert!(!known.stderr_text().contains("doubl "), "{}", known.stderr_text());
    let typo = db.ctodb(&["search", "paymnet timeout", "-f", "csv"]);
    typo.ok();
    assert!(
        typo.stderr_text().contains("searching for \"payment\" instead of \"paymnet\"\n"),
        "{}",
        typo.stderr_text()
    );
}
