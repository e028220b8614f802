//! The rule set both latency benches edit: a header of declarations, then
//! rules of four shapes until `lines` lines.

pub fn rule_set(lines: usize) -> String {
    let mut out = String::from(
        "signal arr: money\nsignal tier: enum(enterprise, mid_market, smb)\nsignal feature_usage: percent\nsignal logins_30d: int\n\
         event ticket_opened { severity: enum(low, high, critical), hours_to_close: number? }\n\
         score adoption weight 40 = band feature_usage { < 20% => 10  < 50% => 50  otherwise => 90 }\n\
         score support weight 30 = 100 - 10 * count(ticket_opened within 30 days)\n\
         score engagement weight 30 = min(logins_30d * 5, 100)\n\
         status {\n  champion when health >= 80\n  watch when health >= 50\n  danger otherwise\n}\n",
    );
    let mut i = 0;
    while out.lines().count() < lines {
        i += 1;
        let line = match i % 4 {
            0 => format!("rule \"r{i}\" when tier == enterprise and arr >= {i}k add 1 to engagement\n"),
            1 => format!("rule \"r{i}\" when count(ticket_opened where severity == critical within {} days) > {} subtract 2 from support\n", i % 300 + 1, i % 7),
            2 => format!("rule \"r{i}\" when change(feature_usage, 30 days) < -{}% subtract 1 from adoption\n", i % 50),
            _ => format!("rule \"t{i}\" when health < {} and support < 50 trigger \"p{}\"\n", i % 100, i % 20),
        };
        out.push_str(&line);
    }
    out
}
