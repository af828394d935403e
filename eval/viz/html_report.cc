#include "eval/viz/html_report.h"

#include <fmt/format.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "common/input_error.h"
#include "eval/viz/svg_chart.h"

namespace dffeval {
namespace {

using nlohmann::json;

/// The three success rates, headline first (ARCHITECTURE.md, README
/// "Measured"): the summary's key and the trial record's flag.
struct RateKind {
  const char* name;
  const char* summary_key;
  const char* trial_key;
  const char* meaning;
};
constexpr RateKind kRates[] = {
    {"transfer", "transfer", "transfer",
     "lifted with the demonstrated grasp (the thumb on the demo thumb's part, parts and contact "
     "places as in the demonstration, the palm from the demonstrated side)"},
    {"lift", "lift", "success", "lifted and held, anywhere on the object"},
    {"robust", "robust", "robust", "lifted, then held against a push along each of +-x, +-y, +-z"},
};

/// A summary row's identity: task x object set x scene set; "all" for the
/// overall line.
struct RowKey {
  std::string task, object_set, scene_set;
  bool operator<(const RowKey& o) const {
    return std::tie(task, object_set, scene_set) < std::tie(o.task, o.object_set, o.scene_set);
  }
};

std::string h(const std::string& s) { return xml_escaped(s); }

std::string string_at(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j[key].is_string())
    throw InputError(fmt::format("{}: a row without a string \"{}\"", where, key));
  return j[key].get<std::string>();
}

RowKey key_of(const json& row, const std::string& where) {
  return {string_at(row, "task", where), string_at(row, "object_set", where),
          string_at(row, "scene_set", where)};
}

/// The row's rate, or nullopt where the summary has none (a run made before
/// that rate existed).
std::optional<RateBar> rate_of(const json& row, const char* key) {
  // Runs made before the judge (2026-12-02) have one rate, the lift, as
  // success_rate, ci95 and successes on the row itself.
  const bool before_judge = std::string(key) == "lift" && !row.contains(key) &&
                            row.contains("success_rate") && row["success_rate"].is_number();
  if (before_judge) {
    json lift = {{"rate", row["success_rate"]}, {"successes", row.value("successes", 0)}};
    if (row.contains("ci95")) lift["ci95"] = row["ci95"];
    return rate_of({{"lift", lift}, {"trials", row.value("trials", 0)}}, "lift");
  }
  if (!row.contains(key) || !row[key].is_object()) return std::nullopt;
  const json& r = row[key];
  RateBar b;
  b.rate = r.value("rate", 0.0);
  b.successes = r.value("successes", 0);
  b.trials = row.value("trials", 0);
  if (r.contains("ci95") && r["ci95"].is_array() && r["ci95"].size() == 2) {
    b.ci_low = r["ci95"][0].get<double>();
    b.ci_high = r["ci95"][1].get<double>();
  }
  return b;
}

/// Every run's rows by key, and the keys in first-seen order, overall last.
struct RowTable {
  std::vector<RowKey> keys;
  std::vector<std::map<RowKey, json>> by_run;
  std::vector<std::string> labels;
};

RowTable row_table(const ReportContent& c) {
  RowTable t;
  std::set<RowKey> seen;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> sets_per_task;
  const RowKey overall{"all", "all", "all"};
  for (const ResultFolder& run : c.runs) {
    const std::string where = (run.dir / "summary.json").string();
    std::map<RowKey, json> rows;
    if (!run.summary.contains("rows") || !run.summary["rows"].is_array())
      throw InputError(where + ": no \"rows\" list");
    for (const json& row : run.summary["rows"]) {
      const RowKey k = key_of(row, where);
      rows[k] = row;
      sets_per_task[k.task].insert({k.object_set, k.scene_set});
      if (seen.insert(k).second) t.keys.push_back(k);
    }
    if (run.summary.contains("overall") && run.summary["overall"].is_object())
      rows[overall] = run.summary["overall"];
    t.by_run.push_back(std::move(rows));
  }
  t.keys.push_back(overall);
  // A task alone names its row unless it ran on several object or scene sets.
  for (const RowKey& k : t.keys) {
    if (k.task == "all")
      t.labels.push_back("overall");
    else if (sets_per_task[k.task].size() == 1)
      t.labels.push_back(k.task);
    else
      t.labels.push_back(fmt::format("{} ({}/{})", k.task, k.object_set, k.scene_set));
  }
  return t;
}

std::string pct(double x) { return fmt::format("{:.0f}%", 100.0 * x); }

std::string rate_cell(const std::optional<RateBar>& b) {
  if (!b) return "<td class=\"na\">-</td>";
  return fmt::format(
      "<td><b>{}</b> <span class=\"ci\">[{}, {}]</span> <span class=\"n\">{}/{}</span></td>",
      pct(b->rate), pct(b->ci_low), pct(b->ci_high), b->successes, b->trials);
}

std::string runs_section(const ReportContent& c) {
  std::string out =
      "<h2 id=\"runs\">Runs</h2>\n<table><tr><th>run</th><th>suite</th><th>method</th>"
      "<th>seed</th><th>trials</th><th>commit</th><th>made (UTC)</th><th>folder</th></tr>\n";
  for (std::size_t i = 0; i < c.runs.size(); ++i) {
    const json& s = c.runs[i].summary;
    const json prov = s.value("provenance", json::object());
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td><code>{}</code></td></tr>\n",
        h(c.labels[i]), h(s["suite"].get<std::string>()), h(s["method"].get<std::string>()),
        s["seed"].dump(), c.runs[i].trials.size(), h(prov.value("git_commit", std::string("?"))),
        h(prov.value("time_utc", std::string("?"))), h(c.runs[i].dir.string()));
    if (s.value("incomplete", false))
      out += fmt::format(
          "<tr><td colspan=\"8\" class=\"warn\">{}: interrupted, the rates are of "
          "the trials that finished</td></tr>\n",
          h(c.labels[i]));
  }
  return out + "</table>\n";
}

std::string rate_tables(const ReportContent& c, const RowTable& t) {
  std::string out = "<h2 id=\"rates\">Success rates</h2>\n<ul class=\"legend\">\n";
  for (const RateKind& r : kRates)
    out += fmt::format("<li><b>{}</b>: {}</li>\n", r.name, r.meaning);
  out += "</ul>\n<p>Each cell: the rate, its 95% Wilson interval and successes/trials.</p>\n";
  for (const RateKind& r : kRates) {
    out += fmt::format("<h3>{}</h3>\n<table><tr><th>task</th>", r.name);
    for (const auto& label : c.labels) out += "<th>" + h(label) + "</th>";
    out += "</tr>\n";
    for (std::size_t k = 0; k < t.keys.size(); ++k) {
      const bool overall = t.keys[k].task == "all";
      out += fmt::format("<tr{}><td>{}</td>", overall ? " class=\"overall\"" : "", h(t.labels[k]));
      for (const auto& rows : t.by_run) {
        const auto it = rows.find(t.keys[k]);
        out += rate_cell(it == rows.end() ? std::nullopt : rate_of(it->second, r.summary_key));
      }
      out += "</tr>\n";
    }
    out += "</table>\n";
  }
  return out;
}

std::string charts(const ReportContent& c, const RowTable& t) {
  std::string out = "<h2 id=\"charts\">Charts</h2>\n";
  for (const RateKind& r : kRates) {
    RateChart chart;
    chart.title = fmt::format("{} success rate, 95% intervals", r.name);
    chart.series = c.labels;
    chart.groups = t.labels;
    for (const RowKey& k : t.keys) {
      std::vector<std::optional<RateBar>> bars;
      for (const auto& rows : t.by_run) {
        const auto it = rows.find(k);
        bars.push_back(it == rows.end() ? std::nullopt : rate_of(it->second, r.summary_key));
      }
      chart.bars.push_back(std::move(bars));
    }
    out += "<div class=\"chart\">" + rate_chart_svg(chart) + "</div>\n";
  }
  CountChart modes;
  modes.title = "trials by failure mode (none: every check passed)";
  modes.rows = c.labels;
  std::map<std::string, std::size_t> index;
  for (const ResultFolder& run : c.runs)
    for (const json& trial : run.trials) index.emplace(trial["failure_mode"].get<std::string>(), 0);
  // "none" (every check passed) first, in the palette's first colour; then
  // the failure modes by name.
  std::vector<std::string> order;
  if (index.count("none")) order.push_back("none");
  for (const auto& [mode, i] : index)
    if (mode != "none") order.push_back(mode);
  for (const std::string& mode : order) {
    index[mode] = modes.parts.size();
    modes.parts.push_back(mode);
  }
  for (const ResultFolder& run : c.runs) {
    std::vector<int> counts(modes.parts.size(), 0);
    for (const json& trial : run.trials) ++counts[index[trial["failure_mode"].get<std::string>()]];
    modes.counts.push_back(std::move(counts));
  }
  return out + "<div class=\"chart\">" + count_chart_svg(modes) + "</div>\n";
}

std::string p_value(const json& stats) {
  const double p = stats.value("mcnemar_p", 1.0);
  return p < 0.001 ? fmt::format("{:.1e}", p) : fmt::format("{:.3f}", p);
}

std::string comparison_table(const json& cmp) {
  const std::string a = cmp["a"].value("method", std::string("A"));
  const std::string b = cmp["b"].value("method", std::string("B"));
  std::string out = fmt::format(
      "<h3>{} (A) vs {} (B), suite {}, seed {}</h3>\n<p>Per rate: A, B, the trials only A passed "
      "and only B passed, and McNemar's exact p-value on those.",
      h(a), h(b), h(cmp["a"].value("suite", std::string("?"))),
      cmp["a"].value("seed", json()).dump());
  if (cmp.contains("flipped")) out += fmt::format(" {} trials differ.", cmp["flipped"].size());
  out += "</p>\n<table><tr><th>task</th>";
  std::vector<std::string> names;
  for (const json& r : cmp.value("rates", json::array())) names.push_back(r.value("name", ""));
  for (const auto& n : names) out += "<th>" + h(n) + "</th>";
  out += "</tr>\n";
  std::vector<json> rows = cmp.value("rows", json::array()).get<std::vector<json>>();
  if (cmp.contains("overall")) rows.push_back(cmp["overall"]);
  for (const json& row : rows) {
    const bool overall = row.value("task", "") == "all";
    out += fmt::format("<tr{}><td>{}</td>", overall ? " class=\"overall\"" : "",
                       h(overall ? "overall" : row.value("task", std::string("?"))));
    for (const auto& n : names) {
      const json& s = row["rates"][n];
      const bool significant = s.value("mcnemar_p", 1.0) < 0.05;
      out += fmt::format(
          "<td{}>{} &rarr; {} <span class=\"n\">A only {}, B only {}</span> p {}</td>",
          significant ? " class=\"sig\"" : "", pct(s.value("rate_a", 0.0)),
          pct(s.value("rate_b", 0.0)), s.value("a_only", 0), s.value("b_only", 0), p_value(s));
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

std::string comparisons_section(const ReportContent& c) {
  std::string out = "<h2 id=\"paired\">Paired comparisons</h2>\n";
  if (c.runs.size() < 2) return out + "<p>One run: nothing to compare.</p>\n";
  if (c.comparisons.empty() && c.comparison_notes.empty())
    return out + "<p>No two runs share a suite and seed: nothing to pair.</p>\n";
  out +=
      "<p>Runs of the same suite and seed meet identical scenes, so they are compared trial "
      "by trial. Shaded: p &lt; 0.05.</p>\n";
  for (const json& cmp : c.comparisons) out += comparison_table(cmp);
  for (const auto& note : c.comparison_notes) out += "<p class=\"warn\">" + h(note) + "</p>\n";
  return out;
}

std::string yes_no(const json& trial, const char* key) {
  if (!trial.contains(key) || !trial[key].is_boolean()) return "<span class=\"na\">-</span>";
  return trial[key].get<bool>() ? "<span class=\"ok\">yes</span>" : "<span class=\"bad\">no</span>";
}

std::string fidelity_line(const json& trial) {
  if (!trial.contains("fidelity") || !trial["fidelity"].is_object()) return "";
  const json& f = trial["fidelity"];
  std::string out;
  if (f.contains("part_agreement") && f["part_agreement"].is_number())
    out += fmt::format("part agreement {:.2f}", f["part_agreement"].get<double>());
  if (f.contains("contact_error") && f["contact_error"].is_number())
    out += fmt::format(", contact error {:.3f}", f["contact_error"].get<double>());
  return out;
}

std::string gallery_section(const ReportContent& c) {
  std::string out = fmt::format(
      "<h2 id=\"gallery\">Gallery: {}</h2>\n<p>The hand at the end of closing, seen by the "
      "camera with most contacts in view; markers green where the demonstration touched that "
      "part with that finger, red where not (ring: hidden behind something). <code>dffeval "
      "judge-vis RUN --trial ID</code> draws all four views with the contact lists.</p>\n",
      h(c.gallery_scope));
  if (c.gallery.empty()) return out + "<p>No pictures.</p>\n";
  out +=
      "<div class=\"filters\">run <select id=\"f-run\"></select> task <select "
      "id=\"f-task\"></select> failure mode <select id=\"f-mode\"></select> <span "
      "id=\"f-count\"></span></div>\n<div id=\"cards\">\n";
  for (const GalleryPicture& g : c.gallery) {
    if (g.run >= c.runs.size() || g.trial >= c.runs[g.run].trials.size())
      throw InputError(
          fmt::format("gallery picture of run {} trial {}: no such trial", g.run, g.trial));
    const json& t = c.runs[g.run].trials[g.trial];
    const std::string id = t["id"].get<std::string>();
    const std::string task = t["task"].get<std::string>();
    const std::string mode = t["failure_mode"].get<std::string>();
    out += fmt::format("<figure class=\"card\" data-run=\"{}\" data-task=\"{}\" data-mode=\"{}\">",
                       h(c.labels[g.run]), h(task), h(mode));
    if (!g.png.empty())
      out += fmt::format("<img alt=\"{}\" src=\"data:image/png;base64,{}\">", h(id), base64(g.png));
    else
      out += fmt::format("<div class=\"nopic\">{}</div>", h(g.note));
    const std::string video =
        g.video_href.empty() ? ""
                             : fmt::format(" &middot; <a href=\"{}\">video</a>", h(g.video_href));
    out += fmt::format(
        "<figcaption><b>{}</b> {}<br>{} &middot; {}{}<br>lift {} robust {} transfer {}<br>{}"
        "</figcaption></figure>\n",
        h(c.labels[g.run]), h(id), h(task), h(mode), video, yes_no(t, "success"),
        yes_no(t, "robust"), yes_no(t, "transfer"), h(fidelity_line(t)));
  }
  return out + "</div>\n";
}

constexpr const char* kStyle = R"(<style>
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:.5em 0 1.2em}
td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:left}
th{background:#f0f0f0} tr.overall td{font-weight:bold;background:#f8f8f8}
.ci,.n{color:#666;font-size:11px} .na{color:#aaa} .warn{color:#a40}
.ok{color:#070} .bad{color:#b00} td.sig{background:#fde7c8}
.chart{overflow-x:auto;margin:1em 0} .chart svg{max-width:100%;height:auto}
#cards{display:flex;flex-wrap:wrap;gap:10px}
.card{margin:0;border:1px solid #ccc;padding:4px;width:330px;font-size:12px}
.card img{width:320px;display:block} .nopic{width:320px;height:120px;background:#eee;padding:6px}
.filters{margin:.5em 0 1em;font-size:14px}
</style>
)";

// Fills the gallery's filters from the cards' data attributes and shows the
// cards that match; marks the page ready (or its errors) for the browser test.
constexpr const char* kScript = R"(<script>
(function(){
  var errors=[];
  window.addEventListener('error',function(e){errors.push(String(e.message));
    document.body.setAttribute('data-errors',errors.join(' | '));});
  var cards=Array.prototype.slice.call(document.querySelectorAll('.card'));
  var keys=['run','task','mode'];
  function fill(key){
    var sel=document.getElementById('f-'+key); if(!sel) return;
    var seen={}; cards.forEach(function(c){seen[c.getAttribute('data-'+key)]=1;});
    var opts=['(all)'].concat(Object.keys(seen).sort());
    opts.forEach(function(v){var o=document.createElement('option');o.textContent=v;sel.appendChild(o);});
    sel.addEventListener('change',apply);
  }
  function apply(){
    var shown=0;
    cards.forEach(function(c){
      var ok=keys.every(function(k){var s=document.getElementById('f-'+k);
        return !s||s.value==='(all)'||c.getAttribute('data-'+k)===s.value;});
      c.style.display=ok?'':'none'; if(ok) shown++;});
    var n=document.getElementById('f-count'); if(n) n.textContent=shown+' of '+cards.length+' trials';
  }
  keys.forEach(fill); apply();
  document.body.setAttribute('data-ready','yes');
})();
</script>
)";

}  // namespace

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = static_cast<std::uint32_t>(bytes[i]) << 16;
    if (n > 1) v |= static_cast<std::uint32_t>(bytes[i + 1]) << 8;
    if (n > 2) v |= bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
  }
  return out;
}

std::vector<std::string> run_labels(const std::vector<ResultFolder>& runs) {
  std::map<std::string, int> per_method;
  for (const ResultFolder& r : runs) ++per_method[r.summary["method"].get<std::string>()];
  std::vector<std::string> out;
  std::set<std::string> used;
  for (const ResultFolder& r : runs) {
    const std::string method = r.summary["method"].get<std::string>();
    std::string label = method;
    if (per_method[method] > 1) label += " (" + r.dir.filename().string() + ")";
    // Two folders of one name (a/x, b/x): number them.
    for (int n = 2; !used.insert(label).second; ++n)
      label = fmt::format("{} #{}", label.substr(0, label.rfind(" #")), n);
    out.push_back(label);
  }
  return out;
}

std::string html_report(const ReportContent& c) {
  if (c.labels.size() != c.runs.size())
    throw InputError(fmt::format("report: {} labels for {} runs", c.labels.size(), c.runs.size()));
  const RowTable t = row_table(c);
  std::string suites;
  for (const ResultFolder& r : c.runs) {
    const std::string s = r.summary["suite"].get<std::string>();
    if (suites.find(s) == std::string::npos) suites += (suites.empty() ? "" : ", ") + s;
  }
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>dffeval report: "
      "{}</title>\n{}</head><body>\n<h1>dffeval report: {}</h1>\n<p>{} run(s). Made by {}. "
      "<a href=\"#rates\">rates</a> &middot; <a href=\"#charts\">charts</a> &middot; <a "
      "href=\"#paired\">paired comparisons</a> &middot; <a href=\"#gallery\">gallery</a></p>\n",
      h(suites), kStyle, h(suites), c.runs.size(), h(c.generated_by));
  out += runs_section(c) + rate_tables(c, t) + charts(c, t) + comparisons_section(c) +
         gallery_section(c);
  return out + kScript + "</body></html>\n";
}

}  // namespace dffeval
