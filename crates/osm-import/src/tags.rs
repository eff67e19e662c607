//! Tag rules: which ways a car may use, in which directions, at what speed.

/// Road classes a car may use, from `highway=*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HighwayClass {
    /// `motorway`
    Motorway,
    /// `motorway_link`
    MotorwayLink,
    /// `trunk`
    Trunk,
    /// `trunk_link`
    TrunkLink,
    /// `primary`
    Primary,
    /// `primary_link`
    PrimaryLink,
    /// `secondary`
    Secondary,
    /// `secondary_link`
    SecondaryLink,
    /// `tertiary`
    Tertiary,
    /// `tertiary_link`
    TertiaryLink,
    /// `unclassified`
    Unclassified,
    /// `residential`
    Residential,
    /// `living_street`
    LivingStreet,
    /// `service`
    Service,
    /// `road` (unknown classification)
    Road,
    /// `track`, only when the profile allows it
    Track,
}

impl HighwayClass {
    /// Parses `highway=*`; `None` for ways a car may not use.
    pub fn parse(v: &str, allow_tracks: bool) -> Option<Self> {
        use HighwayClass::*;
        Some(match v {
            "motorway" => Motorway,
            "motorway_link" => MotorwayLink,
            "trunk" => Trunk,
            "trunk_link" => TrunkLink,
            "primary" => Primary,
            "primary_link" => PrimaryLink,
            "secondary" => Secondary,
            "secondary_link" => SecondaryLink,
            "tertiary" => Tertiary,
            "tertiary_link" => TertiaryLink,
            "unclassified" => Unclassified,
            "residential" => Residential,
            "living_street" => LivingStreet,
            "service" => Service,
            "road" => Road,
            "track" if allow_tracks => Track,
            _ => return None,
        })
    }

    /// Default speed in km/h where no `maxspeed` is tagged, `(urban, rural)`.
    ///
    /// Close to Valhalla's `auto` defaults (e.g. residential 30/35, primary
    /// 57/75), which model typical driving speed rather than the legal limit.
    pub fn default_kmh(self) -> (f64, f64) {
        use HighwayClass::*;
        match self {
            Motorway => (89.0, 105.0),
            MotorwayLink => (60.0, 75.0),
            Trunk => (73.0, 89.0),
            TrunkLink => (50.0, 65.0),
            Primary => (57.0, 75.0),
            PrimaryLink => (45.0, 55.0),
            Secondary => (49.0, 65.0),
            SecondaryLink => (40.0, 50.0),
            Tertiary => (40.0, 55.0),
            TertiaryLink => (35.0, 45.0),
            Unclassified => (35.0, 45.0),
            Residential => (30.0, 35.0),
            LivingStreet => (10.0, 10.0),
            Service => (20.0, 25.0),
            Road => (30.0, 40.0),
            Track => (15.0, 15.0),
        }
    }

    /// One-way unless tagged otherwise.
    fn implied_oneway(self) -> bool {
        matches!(self, HighwayClass::Motorway | HighwayClass::MotorwayLink)
    }
}

/// What a way means for a car.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WayRule {
    /// Its class.
    pub class: HighwayClass,
    /// Drivable in the way's node order.
    pub forward: bool,
    /// Drivable against it.
    pub backward: bool,
    /// Tagged speed limit forward, km/h.
    pub maxspeed_forward: Option<f64>,
    /// Tagged speed limit backward, km/h.
    pub maxspeed_backward: Option<f64>,
}

/// Tag lookup over a way's tags.
pub trait Tags {
    /// The value of `key`, if tagged.
    fn get(&self, key: &str) -> Option<&str>;
}

impl Tags for [(&str, &str)] {
    fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl<const N: usize> Tags for [(&str, &str); N] {
    fn get(&self, key: &str) -> Option<&str> {
        Tags::get(self.as_slice(), key)
    }
}

fn denies(v: Option<&str>) -> bool {
    matches!(
        v,
        Some(
            "no" | "private" | "agricultural" | "forestry" | "delivery" | "emergency" | "military"
        )
    )
}

fn allows(v: Option<&str>) -> bool {
    matches!(
        v,
        Some("yes" | "designated" | "permissive" | "destination" | "customers")
    )
}

/// The rule for one way, or `None` when a car may not use it.
///
/// Access: the most specific of `motorcar`, `motor_vehicle`, `vehicle`,
/// `access` decides; `no`, `private` and similar exclude the way. `area=yes`
/// (squares) and `highway=*` values outside the car classes are excluded.
/// One-way: `oneway=yes|true|1` forward, `-1|reverse` backward, `reversible`
/// and `alternating` excluded (their direction changes in time); implied on
/// `junction=roundabout|circular` and motorways unless `oneway=no`.
pub fn way_rule<T: Tags + ?Sized>(tags: &T, allow_tracks: bool) -> Option<WayRule> {
    let class = HighwayClass::parse(tags.get("highway")?, allow_tracks)?;
    if tags.get("area") == Some("yes") {
        return None;
    }
    for key in ["motorcar", "motor_vehicle", "vehicle", "access"] {
        let v = tags.get(key);
        if allows(v) {
            break;
        }
        if denies(v) {
            return None;
        }
    }
    let oneway = tags.get("oneway");
    let roundabout = matches!(tags.get("junction"), Some("roundabout" | "circular"));
    let (forward, backward) = match oneway {
        Some("yes" | "true" | "1") => (true, false),
        Some("-1" | "reverse") => (false, true),
        Some("reversible" | "alternating") => return None,
        Some("no" | "false" | "0") => (true, true),
        _ if roundabout || class.implied_oneway() => (true, false),
        _ => (true, true),
    };
    let both = tags.get("maxspeed").and_then(parse_maxspeed);
    Some(WayRule {
        class,
        forward,
        backward,
        maxspeed_forward: tags
            .get("maxspeed:forward")
            .and_then(parse_maxspeed)
            .or(both),
        maxspeed_backward: tags
            .get("maxspeed:backward")
            .and_then(parse_maxspeed)
            .or(both),
    })
}

/// Parses a `maxspeed` value to km/h.
///
/// Numbers are km/h; `"30 mph"` and `"30mph"` convert; `"walk"` is 6 km/h;
/// `"none"` (no limit) is 130; `"CC:zone"` values use the implicit limits
/// below; several values (`"50;30"`) take the lowest. Anything else (e.g.
/// `"signals"`, `"variable"`) is ignored, so the class default applies.
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let v = v.trim();
    if v.contains(';') {
        return v.split(';').filter_map(parse_maxspeed).reduce(f64::min);
    }
    let lower = v.to_ascii_lowercase();
    if let Some(num) = lower.strip_suffix("mph") {
        return num
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| *x > 0.0)
            .map(|x| x * 1.609_344);
    }
    if let Some(num) = lower
        .strip_suffix("km/h")
        .or_else(|| lower.strip_suffix("kmh"))
        .or_else(|| lower.strip_suffix("kph"))
    {
        return num.trim().parse::<f64>().ok().filter(|x| *x > 0.0);
    }
    if let Ok(x) = lower.parse::<f64>() {
        return (x > 0.0 && x < 400.0).then_some(x);
    }
    match lower.as_str() {
        "walk" => return Some(6.0),
        "none" => return Some(130.0),
        _ => {}
    }
    implicit_maxspeed(&lower)
}

/// Implicit limits `CC:zone` (country code, zone), per the OSM wiki table of
/// implicit maxspeeds. Unknown countries fall back to common European values.
fn implicit_maxspeed(v: &str) -> Option<f64> {
    let (country, zone) = v.split_once(':')?;
    let zone = zone.trim();
    let specific = match (country, zone) {
        ("de", "rural") => Some(100.0),
        ("de", "motorway") => Some(130.0),
        ("fr", "rural") => Some(80.0),
        ("fr", "motorway") | ("it", "motorway") | ("at", "motorway") | ("pl", "motorway") => {
            Some(130.0)
        }
        ("ru", "rural")
        | ("ua", "rural")
        | ("by", "rural")
        | ("pt", "rural")
        | ("es", "rural")
        | ("it", "rural") => Some(90.0),
        ("ru", "motorway") | ("ua", "motorway") => Some(110.0),
        ("pt", "motorway") | ("es", "motorway") | ("be", "motorway") | ("nl", "motorway") => {
            Some(120.0)
        }
        ("gb", "nsl_single") => Some(96.56),
        ("gb", "nsl_dual") | ("gb", "motorway") => Some(112.65),
        ("ch", "rural") => Some(80.0),
        ("ch", "motorway") => Some(120.0),
        ("ru", "living_street") => Some(20.0),
        ("cn", "urban") => Some(50.0),
        ("cn", "rural") => Some(70.0),
        ("cn", "motorway") => Some(120.0),
        _ => None,
    };
    specific.or(match zone {
        "urban" => Some(50.0),
        "rural" => Some(90.0),
        "trunk" => Some(100.0),
        "motorway" => Some(120.0),
        "living_street" => Some(7.0),
        "bicycle_road" | "cyclestreet" => Some(30.0),
        "zone30" | "zone:30" => Some(30.0),
        "zone20" | "zone:20" => Some(20.0),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maxspeed_forms() {
        assert_eq!(parse_maxspeed("50"), Some(50.0));
        assert_eq!(parse_maxspeed("50 km/h"), Some(50.0));
        assert!((parse_maxspeed("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert!((parse_maxspeed("30mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("RU:urban"), Some(50.0));
        assert_eq!(parse_maxspeed("RU:rural"), Some(90.0));
        assert_eq!(parse_maxspeed("DE:rural"), Some(100.0));
        assert_eq!(parse_maxspeed("DE:urban"), Some(50.0));
        assert_eq!(parse_maxspeed("FR:rural"), Some(80.0));
        assert_eq!(parse_maxspeed("DE:zone30"), Some(30.0));
        assert_eq!(parse_maxspeed("walk"), Some(6.0));
        assert_eq!(parse_maxspeed("none"), Some(130.0));
        assert_eq!(parse_maxspeed("50;30"), Some(30.0));
        assert_eq!(parse_maxspeed("signals"), None);
        assert_eq!(parse_maxspeed("0"), None);
        assert_eq!(parse_maxspeed("fast"), None);
    }

    #[test]
    fn classes_and_exclusions() {
        assert!(way_rule(&[("highway", "residential")], false).is_some());
        assert!(way_rule(&[("highway", "footway")], false).is_none());
        assert!(way_rule(&[("highway", "cycleway")], false).is_none());
        assert!(way_rule(&[("highway", "path")], false).is_none());
        assert!(way_rule(&[("highway", "track")], false).is_none());
        assert!(way_rule(&[("highway", "track")], true).is_some());
        assert!(way_rule(&[("highway", "service"), ("area", "yes")], false).is_none());
        assert!(way_rule(&[("building", "yes")], false).is_none());
    }

    #[test]
    fn access_rules() {
        assert!(way_rule(&[("highway", "service"), ("access", "private")], false).is_none());
        assert!(way_rule(&[("highway", "service"), ("access", "no")], false).is_none());
        assert!(
            way_rule(
                &[("highway", "residential"), ("motor_vehicle", "no")],
                false
            )
            .is_none()
        );
        assert!(way_rule(&[("highway", "residential"), ("motorcar", "no")], false).is_none());
        // A more specific permission beats a general ban.
        assert!(
            way_rule(
                &[
                    ("highway", "residential"),
                    ("access", "no"),
                    ("motor_vehicle", "yes")
                ],
                false
            )
            .is_some()
        );
        assert!(
            way_rule(
                &[
                    ("highway", "residential"),
                    ("access", "no"),
                    ("motorcar", "designated")
                ],
                false
            )
            .is_some()
        );
        assert!(
            way_rule(
                &[("highway", "residential"), ("access", "destination")],
                false
            )
            .is_some()
        );
        // A more specific ban beats a general permission.
        assert!(
            way_rule(
                &[
                    ("highway", "residential"),
                    ("access", "yes"),
                    ("motorcar", "no")
                ],
                false
            )
            .is_none()
        );
    }

    #[test]
    fn oneway_rules() {
        let dir = |tags: &[(&str, &str)]| way_rule(tags, false).map(|r| (r.forward, r.backward));
        assert_eq!(dir(&[("highway", "primary")]), Some((true, true)));
        assert_eq!(
            dir(&[("highway", "primary"), ("oneway", "yes")]),
            Some((true, false))
        );
        assert_eq!(
            dir(&[("highway", "primary"), ("oneway", "1")]),
            Some((true, false))
        );
        assert_eq!(
            dir(&[("highway", "primary"), ("oneway", "-1")]),
            Some((false, true))
        );
        assert_eq!(
            dir(&[("highway", "primary"), ("oneway", "reversible")]),
            None
        );
        assert_eq!(
            dir(&[("highway", "primary"), ("junction", "roundabout")]),
            Some((true, false))
        );
        assert_eq!(dir(&[("highway", "motorway")]), Some((true, false)));
        assert_eq!(
            dir(&[("highway", "motorway"), ("oneway", "no")]),
            Some((true, true))
        );
        assert_eq!(dir(&[("highway", "motorway_link")]), Some((true, false)));
    }

    #[test]
    fn directional_maxspeed() {
        let r = way_rule(
            &[
                ("highway", "primary"),
                ("maxspeed", "50"),
                ("maxspeed:backward", "30"),
            ],
            false,
        )
        .unwrap();
        assert_eq!(
            (r.maxspeed_forward, r.maxspeed_backward),
            (Some(50.0), Some(30.0))
        );
    }
}
