// Print opening_hours.js masks for many values at once (the reference for
// tests/test_opening_hours_reference.py).
//
// stdin: JSON {"week_start": "YYYY-MM-DD" (a Monday), "lat": 52.9, "lon": 6.6,
//              "country_code": "nl", "state": "NO", "timezone": "Europe/Amsterdam",
//              "values": ["Mo-Fr 08:00-17:00", ...]}
// stdout: JSON list, one entry per value: {"mask": "0101..." (168 characters, hour
//         weekday*24+h is open when open, and not unknown, at hh:30 local time) or null
//         when the reference rejects the value, "error": message or null,
//         "unknown_hours": the number of hours whose state is unknown}.
"use strict";
const fs = require("fs");

const request = JSON.parse(fs.readFileSync(0, "utf8"));
process.env.TZ = request.timezone || "Europe/Amsterdam"; // before any Date is made
const OpeningHours = require("opening_hours");

const nominatim = {
  lat: String(request.lat),
  lon: String(request.lon),
  address: { country_code: request.country_code || "nl", state: request.state || "NO" },
};
const [year, month, day] = request.week_start.split("-").map(Number);

function mask(value) {
  let oh;
  try {
    oh = new OpeningHours(value, nominatim, { mode: 0, warnings_severity: 0 });
  } catch (err) {
    return { mask: null, error: String(err).split("\n")[0], unknown_hours: 0 };
  }
  let bits = "";
  let unknown = 0;
  for (let hour = 0; hour < 168; hour++) {
    const at = new Date(year, month - 1, day + Math.floor(hour / 24), hour % 24, 30);
    const isUnknown = oh.getUnknown(at);
    if (isUnknown) unknown++;
    bits += oh.getState(at) && !isUnknown ? "1" : "0";
  }
  return { mask: bits, error: null, unknown_hours: unknown };
}

process.stdout.write(JSON.stringify(request.values.map(mask)));
