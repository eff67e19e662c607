//! `pingan community import`: a ledger's CSV into a store, all or nothing.

use dispatch::{Jurisdiction, Level};

use super::{run, scratch};

fn square(id: &str, level: Level, parent: Option<&str>, x0: f64) -> Jurisdiction {
    Jurisdiction {
        id: id.into(),
        level,
        parent_id: parent.map(str::to_string),
        name_zh: id.into(),
        name_en: None,
        polygon: vec![vec![vec![
            [x0, 0.0],
            [x0 + 0.1, 0.0],
            [x0 + 0.1, 0.1],
            [x0, 0.1],
            [x0, 0.0],
        ]]],
        seat: None,
    }
}

#[test]
fn a_ledger_is_imported_whole_or_not_at_all() {
    let dir = scratch().join("community-import");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("pingan.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = store::Store::open(&url, "demo").await.unwrap();
        s.put_jurisdictions(&[
            square("city", Level::CityBureau, None, 0.0),
            square("s1", Level::Station, Some("city"), 0.0),
            square("c1", Level::Community, Some("s1"), 0.0),
        ])
        .await
        .unwrap();
        s.close().await;
    });
    let file = dir.join("residents.csv");
    let mut csv = String::from("community_id,name,id_number,address,household\n");
    for n in 0..1200 {
        csv.push_str(&format!("c1,居民{n},,幸福路 {n} 号,registered\n"));
    }
    let good = csv.clone();
    csv.push_str("c1,坏行,110105194912310021,幸福路,registered\nnowhere,某人,,路,registered\n");
    std::fs::write(&file, &csv).unwrap();
    let args = [
        "community",
        "import",
        "resident",
        file.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
    ];
    let o = run(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains(":1202: id_number:") && err.contains(":1203: community_id:"),
        "{err}"
    );
    let count = |rt: &tokio::runtime::Runtime| {
        rt.block_on(async {
            let s = store::Store::open(&url, "demo").await.unwrap();
            let n = s
                .list_records(&store::RecordQuery {
                    place: store::RecordPlace::Station("s1"),
                    ..store::RecordQuery::new("resident", 10_000)
                })
                .await
                .unwrap()
                .len();
            s.close().await;
            n
        })
    };
    assert_eq!(count(&rt), 0, "nothing of a bad file");
    std::fs::write(&file, good).unwrap();
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("imported 1200 resident records"));
    assert_eq!(count(&rt), 1200);
    let o = run(&[
        "community",
        "import",
        "nothing",
        file.to_str().unwrap(),
        "--data-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no ledger \"nothing\"; ledgers: resident")
    );
}
