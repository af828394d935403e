// SettingsSchema, the one reader of every settings struct: absent keys keep the defaults,
// present ones are read (numbers, strings, vectors, enums, sub-mappings), every value is
// checked (the defaults too; NaN fails), and unknown keys and non-mappings are InputErrors
// that name the file, the line and the key.

#include "common/settings_schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/input_error.h"
#include "common/strict_yaml.h"

namespace dffeval {
namespace {

enum class Mode { kFast, kExact };

Mode parse_mode(const std::string& name) {
  if (name == "fast") return Mode::kFast;
  if (name == "exact") return Mode::kExact;
  throw std::invalid_argument("unknown mode '" + name + "'; valid: fast, exact");
}

struct Solver {
  int iterations = 10;
  double tolerance = 1e-6;
};

/// A made-up settings struct with one field of each kind the schemas use.
struct Settings {
  double step_m = 0.01;
  int count = 3;
  std::string label = "default";
  bool verbose = false;
  Eigen::Vector3d offset_m{0.1, 0.2, 0.3};
  std::array<double, 3> weights{1.0, 2.0, 3.0};
  Mode mode = Mode::kFast;
  Solver solver;
  double lo = 0.0;
  double hi = 1.0;
};

const SettingsSchema<Solver>& solver_schema() {
  static const auto schema = SettingsSchema<Solver>()
                                 .field("iterations", &Solver::iterations, at_least<int>(1))
                                 .field("tolerance", &Solver::tolerance, greater_than<double>(0));
  return schema;
}

const SettingsSchema<Settings>& settings_schema() {
  using S = Settings;
  static const auto schema =
      SettingsSchema<S>()
          .field("step_m", &S::step_m, greater_than<double>(0))
          .field("count", &S::count, at_least<int>(1))
          .field("label", &S::label)
          .field("verbose", &S::verbose)
          .field("offset_m", &S::offset_m)
          .field("weights", &S::weights,
                 satisfies<std::array<double, 3>>(
                     [](const std::array<double, 3>& w) {
                       return w[0] >= 0 && w[1] >= 0 && w[2] >= 0;
                     },
                     "weights must be >= 0"))
          .parsed<Mode>(
              "mode", [](S& s) -> Mode& { return s.mode; }, parse_mode)
          .child("solver", &S::solver, solver_schema())
          .field("lo", &S::lo)
          // The accessor form, as for a field of a nested struct.
          .field<double>("hi", [](S& s) -> double& { return s.hi; })
          .check("hi", [](const S& s) { return s.lo < s.hi ? "" : "must be > lo"; });
  return schema;
}

Settings read(const std::string& yaml, const std::string& origin = "cfg.yaml") {
  return settings_schema().read(StrictYaml::load_string(yaml, origin));
}

/// The InputError message of `f`, or "" if it throws none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

/// The message of reading `yaml` into Settings, or "" if it reads.
std::string read_error(const std::string& yaml) {
  return error_of([&] { read(yaml); });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SettingsSchema, AbsentKeysKeepTheDefaults) {
  const Settings s = read("{}\n");
  const Settings d;
  EXPECT_EQ(s.step_m, d.step_m);
  EXPECT_EQ(s.count, d.count);
  EXPECT_EQ(s.label, d.label);
  EXPECT_EQ(s.verbose, d.verbose);
  EXPECT_TRUE(s.offset_m == d.offset_m) << s.offset_m.transpose();
  EXPECT_EQ(s.weights, d.weights);
  EXPECT_EQ(s.mode, d.mode);
  EXPECT_EQ(s.solver.iterations, d.solver.iterations);
  EXPECT_EQ(s.solver.tolerance, d.solver.tolerance);
  // The defaults are the caller's: read(node, defaults) and read(node, &t)
  // keep whatever the struct held for the keys the file leaves out.
  Settings start;
  start.count = 7;
  start.offset_m = Eigen::Vector3d(9, 8, 7);
  start.solver.tolerance = 0.5;
  const Settings kept =
      settings_schema().read(StrictYaml::load_string("label: x\n", "cfg.yaml"), start);
  EXPECT_EQ(kept.count, 7);
  EXPECT_TRUE(kept.offset_m == Eigen::Vector3d(9, 8, 7));
  EXPECT_EQ(kept.solver.tolerance, 0.5);
  EXPECT_EQ(kept.label, "x");
  Settings in_place = start;
  settings_schema().read(StrictYaml::load_string("count: 4\n", "cfg.yaml"), &in_place);
  EXPECT_EQ(in_place.count, 4);
  EXPECT_EQ(in_place.solver.tolerance, 0.5);
}

TEST(SettingsSchema, ReadsEveryKindOfField) {
  const Settings s = read(
      "step_m: 0.25\n"
      "count: 12\n"
      "label: hello world\n"
      "verbose: true\n"
      "offset_m: [1.5, -2, 0.125]\n"
      "weights: [0, 0.5, 4]\n"
      "mode: exact\n"
      "solver:\n"
      "  iterations: 40\n"
      "lo: -3\n"
      "hi: 2.5\n");
  EXPECT_EQ(s.step_m, 0.25);
  EXPECT_EQ(s.count, 12);
  EXPECT_EQ(s.label, "hello world");
  EXPECT_TRUE(s.verbose);
  EXPECT_TRUE(s.offset_m == Eigen::Vector3d(1.5, -2.0, 0.125)) << s.offset_m.transpose();
  EXPECT_EQ(s.weights, (std::array<double, 3>{0.0, 0.5, 4.0}));
  EXPECT_EQ(s.mode, Mode::kExact);
  EXPECT_EQ(s.solver.iterations, 40);
  // The child's absent key keeps its default as well.
  EXPECT_EQ(s.solver.tolerance, 1e-6);
  EXPECT_EQ(s.lo, -3.0);
  EXPECT_EQ(s.hi, 2.5);
}

TEST(SettingsSchema, ChecksRejectBadValuesWithTheirMessages) {
  // file:line: key 'path': reason, the line being the value's.
  EXPECT_TRUE(contains(read_error("label: a\ncount: 0\n"), "cfg.yaml:2: key 'count': must be >= 1"))
      << read_error("label: a\ncount: 0\n");
  EXPECT_TRUE(contains(read_error("step_m: 0\n"), "key 'step_m': must be > 0"))
      << read_error("step_m: 0\n");
  EXPECT_TRUE(contains(read_error("step_m: -0.5\n"), "must be > 0"));
  EXPECT_TRUE(contains(read_error("weights: [1, -1, 1]\n"), "key 'weights': weights must be >= 0"))
      << read_error("weights: [1, -1, 1]\n");
  // A child's checks name the full key path.
  const std::string child = read_error("solver:\n  tolerance: 0\n");
  EXPECT_TRUE(contains(child, "cfg.yaml:2: key 'solver.tolerance': must be > 0")) << child;
  // The cross-field check runs after all fields were read.
  const std::string cross = read_error("lo: 2\nhi: 1\n");
  EXPECT_TRUE(contains(cross, "key 'hi': must be > lo")) << cross;
  EXPECT_EQ(read_error("lo: 0.5\nhi: 1\n"), "");
  // Boundary values: at_least is inclusive, greater_than is not.
  EXPECT_EQ(read_error("count: 1\nstep_m: 1e-9\n"), "");
}

TEST(SettingsSchema, NanFailsAPositiveCheck) {
  // YAML's .nan is a double that compares false with everything: a check
  // written as "v <= 0 is bad" would let it through; the schema's must not.
  // The strict reader now refuses .nan and .inf before any check runs.
  const std::string e = read_error("step_m: .nan\n");
  EXPECT_TRUE(contains(e, "key 'step_m': cannot read value '.nan': must be a finite number")) << e;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(greater_than<double>(0)(nan), "must be > 0");
  EXPECT_EQ(at_least<double>(-1)(nan), "must be >= -1");
  EXPECT_TRUE(contains(read_error("step_m: .inf\n"), "must be a finite number"));
}

TEST(SettingsSchema, CheckHelpersAndTheirMessages) {
  EXPECT_EQ(at_least<int>(3)(3), "");
  EXPECT_EQ(at_least<int>(3)(2), "must be >= 3");
  EXPECT_EQ(greater_than<double>(0.6)(0.6), "must be > 0.6");
  EXPECT_EQ(greater_than<double>(0.6)(0.61), "");
  EXPECT_EQ(at_least<double>(1e-6)(0.0), "must be >= 1e-06");
  const auto unit =
      satisfies<double>([](double v) { return v > 0 && v <= 1; }, "must be in (0, 1]");
  EXPECT_EQ(unit(1.0), "");
  EXPECT_EQ(unit(0.0), "must be in (0, 1]");
  EXPECT_EQ(format_setting(0.6), "0.6");
  EXPECT_EQ(format_setting(1e-6), "1e-06");
  EXPECT_EQ(format_setting(3), "3");
  EXPECT_EQ(format_setting(-2.5), "-2.5");
}

TEST(SettingsSchema, ABadDefaultIsCaughtByTheFirstRead) {
  struct Bad {
    double radius_m = 0.0;  // violates its own check
  };
  const auto schema =
      SettingsSchema<Bad>().field("radius_m", &Bad::radius_m, greater_than<double>(0));
  const std::string e =
      error_of([&] { schema.read(StrictYaml::load_string("{}\n", "defaults.yaml")); });
  EXPECT_TRUE(contains(e, "defaults.yaml")) << e;
  EXPECT_TRUE(contains(e, "key 'radius_m': must be > 0")) << e;
  EXPECT_EQ(schema.read(StrictYaml::load_string("radius_m: 0.1\n", "ok.yaml")).radius_m, 0.1);
}

TEST(SettingsSchema, ParsedEnumsReportTheParsersReason) {
  EXPECT_EQ(read("mode: fast\n").mode, Mode::kFast);
  EXPECT_EQ(read("mode: exact\n").mode, Mode::kExact);
  const std::string e = read_error("count: 2\nmode: turbo\n");
  EXPECT_TRUE(contains(e, "cfg.yaml:2: key 'mode': unknown mode 'turbo'; valid: fast, exact")) << e;
}

TEST(SettingsSchema, UnknownKeysAreNamedWithTheirLine) {
  const std::string top = read_error("step_m: 0.1\nstpe_m: 0.2\n");
  EXPECT_TRUE(contains(top, "cfg.yaml:2")) << top;
  EXPECT_TRUE(contains(top, "unknown key 'stpe_m'")) << top;
  const std::string nested = read_error("count: 2\nsolver:\n  iterations: 3\n  tolerence: 1e-3\n");
  EXPECT_TRUE(contains(nested, "cfg.yaml:4")) << nested;
  EXPECT_TRUE(contains(nested, "unknown key 'solver.tolerence'")) << nested;
  // A known key is not "unknown" for having its default value spelled out.
  EXPECT_EQ(read_error("step_m: 0.01\ncount: 3\n"), "");
}

TEST(SettingsSchema, NonMappingsAndWrongShapesAreInputErrors) {
  const std::string seq = read_error("- 1\n- 2\n");
  EXPECT_TRUE(contains(seq, "cfg.yaml")) << seq;
  EXPECT_TRUE(contains(seq, "expected a mapping of settings")) << seq;
  EXPECT_TRUE(contains(read_error("42\n"), "expected a mapping of settings"));
  // A child key holding a scalar instead of a mapping names the child.
  const std::string child = read_error("solver: 5\n");
  EXPECT_TRUE(contains(child, "key 'solver'")) << child;
  EXPECT_TRUE(contains(child, "expected a mapping of settings")) << child;
  // Vectors and arrays of the wrong length, and values of the wrong type.
  EXPECT_TRUE(contains(read_error("offset_m: [1, 2]\n"), "key 'offset_m': expected [x, y, z]"))
      << read_error("offset_m: [1, 2]\n");
  EXPECT_TRUE(contains(read_error("weights: [1, 2, 3, 4]\n"), "key 'weights': needs 3 values"))
      << read_error("weights: [1, 2, 3, 4]\n");
  const std::string type = read_error("count: many\n");
  EXPECT_TRUE(contains(type, "'count'")) << type;
  EXPECT_TRUE(contains(type, "wrong type")) << type;
}

}  // namespace
}  // namespace dffeval
