#include "eval/viz/judge_picture.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "common/input_error.h"
#include "eval/viz/trial_replay.h"
#include "sim/world.h"

namespace dffeval {
namespace {

// Views are drawn twice their rendered size: at 320 x 240 a fingertip and
// its marker would be a few pixels, and the legend would not fit.
constexpr int kZoom = 2;
constexpr int kTextScale = 2;
constexpr int kLineHeightPx = 7 * kTextScale + 5;
constexpr int kGapPx = 8;
// A contact lies midway between finger and object surfaces: a view sees it
// when the rendered surface at its pixel is no nearer than this, so that the
// finger's own skin over it does not hide it.
constexpr double kVisibleToleranceM = 0.008;

const Eigen::Vector3f kGreen(0.1f, 0.8f, 0.1f);
const Eigen::Vector3f kRed(0.9f, 0.1f, 0.1f);
const Eigen::Vector3f kBlack = Eigen::Vector3f::Zero();
const Eigen::Vector3f kWhite = Eigen::Vector3f::Ones();

/// (link group, part) pairs, the unit in which part_agreement compares.
using PairSet = std::set<std::pair<int, std::string>>;

PairSet pairs_of(const ContactSignature& s) {
  PairSet out;
  for (int g = 0; g < kNumLinkGroups; ++g)
    for (const auto& p : s.groups[g].parts) out.insert({g, p});
  return out;
}

/// How the replay's signature differs from the recorded one: "" when it
/// does not, else the first group that differs and how.
std::string signature_difference(const ContactSignature& recorded, const ContactSignature& replay) {
  for (int g = 0; g < kNumLinkGroups; ++g) {
    const GroupContacts &a = recorded.groups[g], &b = replay.groups[g];
    const std::string name = to_string(static_cast<LinkGroup>(g));
    if (a.contacts != b.contacts || a.parts != b.parts) {
      return fmt::format("{}: {} contacts on [{}] recorded, {} on [{}] replayed", name, a.contacts,
                         fmt::join(a.parts, ", "), b.contacts, fmt::join(b.parts, ", "));
    }
    const double moved_m = (a.centroid_obj_m - b.centroid_obj_m).norm();
    if (moved_m > 1e-6) return fmt::format("{}: centroid {:.3g} mm apart", name, 1e3 * moved_m);
  }
  return "";
}

RgbImage zoomed(const CameraView& view) {
  RgbImage out(view.width * kZoom, view.height * kZoom);
  for (int v = 0; v < out.height; ++v) {
    for (int u = 0; u < out.width; ++u) {
      const std::uint8_t* c =
          &view.rgb[(static_cast<std::size_t>(v / kZoom) * view.width + u / kZoom) * 3];
      out.set(u, v, Eigen::Vector3f(c[0], c[1], c[2]) / 255.0f);
    }
  }
  return out;
}

/// A square ring: a contact the view does not see (something is in front).
void draw_hollow_marker(RgbImage* image, double u, double v, int half_px,
                        const Eigen::Vector3f& rgb) {
  const int cu = static_cast<int>(std::floor(u)), cv = static_cast<int>(std::floor(v));
  for (int dv = -half_px; dv <= half_px; ++dv) {
    for (int du = -half_px; du <= half_px; ++du) {
      const int ring = std::max(std::abs(du), std::abs(dv));
      if (ring >= half_px - 1) image->set(cu + du, cv + dv, rgb);
    }
  }
}

/// Where a link group's markers lie in a view, for its label.
struct GroupLabel {
  int markers = 0;
  double right_px = 0.0;
  double sum_v_px = 0.0;
};

/// Each group's initial (t, i, m, r, l, p) right of its markers, once per
/// view: one letter per contact would hide the markers.
void draw_group_labels(RgbImage* image, const std::array<GroupLabel, kNumLinkGroups>& labels) {
  constexpr int kW = 5 * kTextScale + 4, kH = 7 * kTextScale + 4;  // box, with a margin
  std::vector<Eigen::AlignedBox2i> placed;
  for (int g = 0; g < kNumLinkGroups; ++g) {
    const GroupLabel& l = labels[g];
    if (l.markers == 0) continue;
    const int x = static_cast<int>(l.right_px) + 8;
    int y = static_cast<int>(l.sum_v_px / l.markers) - kH / 2;
    // Below any label it would cover: a covered letter reads as another
    // (an R under an L's box is a P).
    for (bool moved = true; moved;) {
      moved = false;
      for (const auto& b : placed) {
        const Eigen::AlignedBox2i box(Eigen::Vector2i(x, y), Eigen::Vector2i(x + kW, y + kH));
        if (box.intersects(b)) {
          y = b.max().y() + 1;
          moved = true;
        }
      }
    }
    placed.emplace_back(Eigen::Vector2i(x, y), Eigen::Vector2i(x + kW, y + kH));
    for (int v = y; v < y + kH; ++v)
      for (int u = x; u < x + kW; ++u) image->set(u, v, kWhite);
    draw_text(image, x + 2, y + 2, to_string(static_cast<LinkGroup>(g)).substr(0, 1), kBlack,
              kTextScale);
  }
}

/// Marks each contact in `image` (the view zoomed); returns the markers
/// drawn (green, red).
std::pair<int, int> draw_contacts(RgbImage* image, const CameraView& view,
                                  const std::vector<ContactPoint>& contacts, const PairSet& demo) {
  int green = 0, red = 0;
  std::array<GroupLabel, kNumLinkGroups> labels;
  const Eigen::Isometry3d X_CW = view.X_WC.inverse();
  for (const ContactPoint& c : contacts) {
    if (!c.p_W.allFinite()) continue;
    const Eigen::Vector3d p_C = X_CW * c.p_W;
    if (p_C.z() <= 1e-3) continue;
    const Eigen::Vector3d x = view.K * (p_C / p_C.z());  // K's image coordinates
    if (x.x() < 0 || x.y() < 0 || x.x() >= view.width || x.y() >= view.height) continue;
    const bool in_demo = demo.count({static_cast<int>(c.group), c.part}) > 0;
    const Eigen::Vector3f& rgb = in_demo ? kGreen : kRed;
    const float seen = view.depth_at(static_cast<int>(x.x()), static_cast<int>(x.y()));
    const bool visible = seen <= 0.0f || seen >= p_C.z() - kVisibleToleranceM;
    if (visible)
      draw_marker(image, x.x() * kZoom, x.y() * kZoom, 3, rgb, kBlack);
    else
      draw_hollow_marker(image, x.x() * kZoom, x.y() * kZoom, 6, rgb);
    ++(in_demo ? green : red);
    GroupLabel& label = labels[static_cast<int>(c.group)];
    label.right_px = std::max(label.right_px, x.x() * kZoom);
    label.sum_v_px += x.y() * kZoom;
    ++label.markers;
  }
  draw_group_labels(image, labels);
  return {green, red};
}

/// Text lines at the top left of `image` on a whitened box, so that they
/// read over any scene.
void draw_legend(RgbImage* image, const std::vector<std::string>& lines) {
  int w = 0;
  for (const auto& l : lines) w = std::max(w, text_width_px(l, kTextScale));
  const int box_w = std::min(image->width, w + 12);
  const int box_h = std::min(image->height, static_cast<int>(lines.size()) * kLineHeightPx + 8);
  for (int v = 0; v < box_h; ++v)
    for (int u = 0; u < box_w; ++u) image->set(u, v, 0.3f * image->at(u, v) + 0.7f * kWhite);
  for (std::size_t i = 0; i < lines.size(); ++i)
    draw_text(image, 6, 6 + static_cast<int>(i) * kLineHeightPx, lines[i], kBlack, kTextScale);
}

/// "group: part, part" lines of a signature; with `demo`, each part's colour
/// says whether the demonstration has its pair.
struct TextRun {
  std::string text;
  Eigen::Vector3f rgb;
};
std::vector<std::vector<TextRun>> signature_lines(const ContactSignature& s, const PairSet* demo) {
  std::vector<std::vector<TextRun>> lines;
  for (int g = 0; g < kNumLinkGroups; ++g) {
    const GroupContacts& gc = s.groups[g];
    if (gc.contacts == 0) continue;
    std::vector<TextRun> line = {{to_string(static_cast<LinkGroup>(g)) + ": ", kBlack}};
    bool first = true;
    for (const auto& part : gc.parts) {
      const bool ok = !demo || demo->count({g, part}) > 0;
      line.push_back({(first ? "" : ", ") + part, demo ? (ok ? kGreen : kRed) : kBlack});
      first = false;
    }
    line.push_back({fmt::format(" ({})", gc.contacts), kBlack});
    lines.push_back(std::move(line));
  }
  if (lines.empty()) lines.push_back({{"(no contact)", kBlack}});
  return lines;
}

int draw_runs(RgbImage* image, int x, int y, const std::vector<TextRun>& runs) {
  for (const TextRun& r : runs) {
    draw_text(image, x, y, r.text, r.rgb, kTextScale);
    x += text_width_px(r.text, kTextScale) + kTextScale;
  }
  return x;
}

/// The panel under the views: both contact lists side by side (`demo` null
/// when the record has none), then notes.
RgbImage lists_panel(int width, const ContactSignature* demo, const ContactSignature& trial,
                     const PairSet& demo_pairs, const std::vector<TextRun>& notes) {
  const auto demo_lines = demo ? signature_lines(*demo, nullptr)
                               : std::vector<std::vector<TextRun>>{{{"(not recorded)", kBlack}}};
  const auto trial_lines = signature_lines(trial, &demo_pairs);
  const int rows = 1 + static_cast<int>(std::max(demo_lines.size(), trial_lines.size()));
  const int height = (rows + 1 + static_cast<int>(notes.size())) * kLineHeightPx + 12;
  RgbImage panel(width, height, kWhite);
  const int col2 = width / 2;
  draw_text(&panel, 6, 6, "demo (group: parts, contacts)", kBlack, kTextScale);
  draw_text(&panel, col2, 6, "trial at close (green: pair in the demo, red: not)", kBlack,
            kTextScale);
  for (std::size_t i = 0; i < demo_lines.size(); ++i)
    draw_runs(&panel, 6, 6 + static_cast<int>(i + 1) * kLineHeightPx, demo_lines[i]);
  for (std::size_t i = 0; i < trial_lines.size(); ++i)
    draw_runs(&panel, col2, 6 + static_cast<int>(i + 1) * kLineHeightPx, trial_lines[i]);
  for (std::size_t i = 0; i < notes.size(); ++i)
    draw_runs(&panel, 6, 6 + static_cast<int>(rows + 1 + i) * kLineHeightPx, {notes[i]});
  return panel;
}

std::string fidelity_line(const nlohmann::json& record) {
  if (!record.contains("fidelity")) return "part_agreement -  contact_error -";
  const nlohmann::json& f = record.at("fidelity");
  return fmt::format("part_agreement {:.2f}  contact_error {:.3f}",
                     f.at("part_agreement").get<double>(), f.at("contact_error").get<double>());
}

/// The views in rows of two, each zoomed, marked and with its legend; counts
/// the markers into `pic`.
RgbImage views_grid(const Observation& obs, const nlohmann::json& record, const PairSet& demo_pairs,
                    JudgePicture* pic) {
  std::vector<RgbImage> rows, row;
  for (const CameraView& view : obs.views) {
    RgbImage img = zoomed(view);
    const auto [green, red] = draw_contacts(&img, view, pic->contacts, demo_pairs);
    pic->green_markers += green;
    pic->red_markers += red;
    pic->marked_views.push_back(img);
    pic->markers_per_view.push_back(green + red);
    draw_legend(&img,
                {fmt::format("{}  {}", record_id(record), view.name),
                 "task " + record.at("task").get<std::string>(),
                 "failure " + record.at("failure_mode").get<std::string>(), fidelity_line(record)});
    row.push_back(std::move(img));
    if (row.size() == 2) {
      rows.push_back(hstack(row, kGapPx));
      row.clear();
    }
  }
  if (!row.empty()) rows.push_back(hstack(row, kGapPx));
  return vstack(rows, kGapPx);
}

std::vector<TextRun> notes_of(const JudgePicture& pic, const nlohmann::json& record) {
  auto yes = [&](const char* key) { return record.value(key, false) ? "yes" : "no"; };
  std::vector<TextRun> notes = {
      {"markers: filled = seen by the view, ring = hidden behind something; letter = link "
       "group (t i m r l p)",
       kBlack},
      {fmt::format("recorded: lift {}, robust {}, transfer {}", yes("success"), yes("robust"),
                   yes("transfer")),
       kBlack}};
  if (!pic.has_grasp) {
    const std::string error = record.value("error", std::string("?"));
    notes.push_back({"no grasp (method error): the scene only", kRed});
    notes.push_back({"error: " + error.substr(0, 90) + (error.size() > 90 ? "..." : ""), kRed});
  }
  if (!pic.replay_difference.empty()) {
    notes.push_back(
        {"warning: the replay's contacts differ from the record's: " + pic.replay_difference,
         kRed});
  }
  if (pic.execution.failure == FailureMode::kSimError)
    notes.push_back({"warning: the replay's simulation failed: " + pic.execution.detail, kRed});
  return notes;
}

}  // namespace

std::string judge_picture_file_name(const nlohmann::json& record) {
  return record.value("failure_mode", std::string("unknown")) + "_" +
         trial_file_name(record, ".png");
}

JudgePicture make_judge_picture(const nlohmann::json& record, const ExecutionConfig& execution,
                                RgbdRenderer& renderer) {
  JudgePicture pic;
  DrawnScene scene;
  ContactSignature demo;
  std::optional<ContactSignature> recorded;
  Grasp grasp;
  // A method_error trial has no grasp and was never judged: no demo
  // contacts, no execution.
  const bool judged = record.contains("demo_contacts");
  try {
    scene = redraw_scene(record);
    if (judged) demo = ContactSignature::from_json(record.at("demo_contacts"));
    pic.has_grasp = record.contains("grasp");
    if (pic.has_grasp) grasp = grasp_from_record(record.at("grasp"));
    const auto closed = nlohmann::json::json_pointer("/execution/contacts_closed");
    if (record.contains(closed)) recorded = ContactSignature::from_json(record.at(closed));
    record.at("task").get<std::string>();
    record.at("failure_mode").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("trial {}: not a trial record: {}", record_id(record), e.what()));
  }
  const auto world = World::compose(scene);
  const MjDataPtr d = world->make_settled_data();
  if (pic.has_grasp) {
    ExecutionConfig cfg = execution;
    cfg.stop_after_close = true;
    pic.execution = execute_grasp(*world, d.get(), grasp, cfg);
    pic.contacts = read_contact_points(*world, d.get());
    if (recorded)
      pic.replay_difference = signature_difference(*recorded, pic.execution.contacts_closed);
  }
  const RenderedViews views = renderer.render(*world, d.get());
  const PairSet demo_pairs = pairs_of(demo);
  const RgbImage grid = views_grid(views.observation, record, demo_pairs, &pic);
  pic.image =
      vstack({grid, lists_panel(grid.width, judged ? &demo : nullptr, pic.execution.contacts_closed,
                                demo_pairs, notes_of(pic, record))},
             0);
  return pic;
}

}  // namespace dffeval
