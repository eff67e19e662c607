//! Creating a demo city in a store, and finding it again on the next start.

use citygen::HotArea;
use roads::{Graph, LatLon};
use store::{Store, UserRecord};

use crate::Error;

/// The key under which a demo city describes itself in the store's meta.
const META_KEY: &str = "demo_city";

/// A demo account and the password it was given.
#[derive(Debug, Clone)]
pub struct Account {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: &'static str,
    /// Scope (`None`: the whole city).
    pub scope: Option<String>,
    /// The password; `None` when it came from `PINGAN_ADMIN_PASSWORD` or
    /// `PINGAN_UNIT_PASSWORD` (not to be shown again).
    pub password: Option<String>,
}

/// What a new demo city holds.
#[derive(Debug, Clone)]
pub struct CreatedCity {
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Where calls cluster.
    pub hot_areas: Vec<HotArea>,
    /// Every account, with its password.
    pub accounts: Vec<Account>,
    /// How many bureaus, stations, communities, grids, posts, units and
    /// police offices it has (as stored in the meta).
    pub counts: serde_json::Value,
}

/// A demo city found in a store.
#[derive(Debug, Clone)]
pub struct SavedCity {
    /// Its name as stored.
    pub name: String,
    /// Where calls cluster.
    pub hot_areas: Vec<HotArea>,
}

/// The demo city a store already holds, if any.
pub async fn saved(store: &Store) -> Result<Option<SavedCity>, Error> {
    let Some(text) = store.meta(META_KEY).await? else {
        return Ok(None);
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Unreadable(format!("stored {META_KEY}: {e}")))?;
    let hot: Vec<[f64; 4]> = serde_json::from_value(v["hot_areas"].clone()).unwrap_or_default();
    Ok(Some(SavedCity {
        name: v["name"].as_str().unwrap_or("?").to_string(),
        hot_areas: hot.iter().map(hot_area).collect(),
    }))
}

fn hot_area(h: &[f64; 4]) -> HotArea {
    HotArea {
        centre: LatLon {
            lat: h[0],
            lon: h[1],
        },
        sigma_m: h[2],
        weight: h[3],
    }
}

/// Generates the demo city on `graph` with `seed` and stores it: the
/// jurisdiction tree, posts, police offices, units and one account per
/// demo role (fresh passwords; the admin's from `admin_password` when
/// given). `osm` names the extract in the meta.
pub async fn create(
    store: &Store,
    graph: &Graph,
    seed: u64,
    osm: &str,
    admin_password: Option<String>,
    unit_password: Option<String>,
) -> Result<CreatedCity, Error> {
    let city = citygen::generate(graph, seed);
    store.put_jurisdictions(&city.jurisdictions).await?;
    store.put_posts(&city.posts).await?;
    store.put_police_offices(&city.offices).await?;
    store.put_units(&city.units).await?;
    // Argon2 on every account takes a moment; spread it over the cores.
    let mut tasks = Vec::new();
    for s in city.staff.clone() {
        let from_env = s.username == "admin" && admin_password.is_some();
        let pw = if from_env {
            admin_password.clone().unwrap_or_default()
        } else {
            app::auth::new_password()
        };
        tasks.push(tokio::task::spawn_blocking(move || {
            let hash = app::auth::hash_password(&pw);
            (s, pw, hash, from_env)
        }));
    }
    let mut accounts = Vec::new();
    for t in tasks {
        let (s, pw, hash, from_env) = t.await?;
        store
            .put_user(&UserRecord {
                username: s.username.clone(),
                role: s.role.into(),
                scope: s.scope.clone(),
                display_name: s.display_name.clone(),
                password_hash: hash,
                disabled: false,
                unit_id: None,
            })
            .await?;
        accounts.push(Account {
            username: s.username,
            role: s.role,
            scope: s.scope,
            password: (!from_env).then_some(pw),
        });
    }
    // A field terminal account for every unit: its id in lower case.
    let shared = unit_password.map(|pw| {
        let hash = app::auth::hash_password(&pw);
        (pw, hash)
    });
    let mut tasks = Vec::new();
    for u in city.units.clone() {
        let shared = shared.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let (pw, hash) = shared.unwrap_or_else(|| {
                let pw = app::auth::new_password();
                let hash = app::auth::hash_password(&pw);
                (pw, hash)
            });
            (u, pw, hash)
        }));
    }
    let from_env = shared.is_some();
    for t in tasks {
        let (u, pw, hash) = t.await?;
        let username = u.id.to_lowercase();
        store
            .put_user(&UserRecord {
                username: username.clone(),
                role: app::auth::UNIT_ROLE.into(),
                scope: Some(u.home_station.clone()),
                display_name: u.callsign.clone(),
                password_hash: hash,
                disabled: false,
                unit_id: Some(u.id.clone()),
            })
            .await?;
        accounts.push(Account {
            username,
            role: app::auth::UNIT_ROLE,
            scope: Some(u.home_station),
            password: (!from_env).then_some(pw),
        });
    }
    let hot: Vec<[f64; 4]> = city
        .hot_areas
        .iter()
        .map(|h| [h.centre.lat, h.centre.lon, h.sigma_m, h.weight])
        .collect();
    let count = |l: dispatch::Level| city.jurisdictions.iter().filter(|j| j.level == l).count();
    let counts = serde_json::json!({
        "bureaus": count(dispatch::Level::Bureau), "stations": count(dispatch::Level::Station),
        "communities": count(dispatch::Level::Community), "grids": count(dispatch::Level::Grid),
        "posts": city.posts.len(), "units": city.units.len(), "police_offices": city.offices.len(),
    });
    let mut meta = serde_json::json!({
        "name": city.name_zh, "name_en": city.name_en, "seed": seed, "osm": osm, "hot_areas": hot,
    });
    if let (Some(m), Some(c)) = (meta.as_object_mut(), counts.as_object()) {
        m.extend(c.clone());
    }
    store.set_meta(META_KEY, &meta.to_string()).await?;
    Ok(CreatedCity {
        name_zh: city.name_zh,
        name_en: city.name_en,
        hot_areas: city.hot_areas,
        accounts,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_created_city_is_found_again_with_its_hot_areas_and_accounts() {
        let dir = std::env::temp_dir().join(format!("pingan-demo-city-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = Store::open(&url, "test").await.unwrap();
        assert!(saved(&store).await.unwrap().is_none(), "an empty store");
        let g = test_support::monaco();
        let city = create(
            &store,
            g,
            7,
            "monaco.osm.pbf",
            Some("admin-pw-1".into()),
            None,
        )
        .await
        .unwrap();
        let again = saved(&store).await.unwrap().expect("saved");
        assert_eq!(again.name, city.name_zh);
        assert_eq!(again.hot_areas, city.hot_areas);
        assert!(!city.hot_areas.is_empty());
        assert!(
            city.counts["stations"].as_u64().unwrap() > 0,
            "{}",
            city.counts
        );
        let admin = city
            .accounts
            .iter()
            .find(|a| a.username == "admin")
            .unwrap();
        assert_eq!(
            admin.password, None,
            "the admin's password came from the caller"
        );
        let stored = store.user("admin").await.unwrap().unwrap();
        assert!(app::auth::verify_password(
            "admin-pw-1",
            &stored.password_hash
        ));
        let other = city
            .accounts
            .iter()
            .find(|a| a.username != "admin")
            .unwrap();
        let pw = other.password.as_deref().expect("a generated password");
        let rec = store.user(&other.username).await.unwrap().unwrap();
        assert!(app::auth::verify_password(pw, &rec.password_hash));
        // A terminal account for every unit, bound to it, its password its own.
        let terminals: Vec<&Account> = city
            .accounts
            .iter()
            .filter(|a| a.role == app::auth::UNIT_ROLE)
            .collect();
        assert_eq!(
            terminals.len() as u64,
            city.counts["units"].as_u64().unwrap()
        );
        let t = terminals[0];
        let rec = store.user(&t.username).await.unwrap().unwrap();
        assert_eq!(
            rec.unit_id.as_deref().map(str::to_lowercase).as_deref(),
            Some(t.username.as_str())
        );
        assert!(app::auth::verify_password(
            t.password.as_deref().unwrap(),
            &rec.password_hash
        ));
        drop(store);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
