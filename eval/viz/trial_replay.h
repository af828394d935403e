#pragma once
// Rebuilding a trial from its trials.jsonl record, to replay its grasp for
// pictures and videos (`dffeval judge-vis`, `report`, `--record`): the scene
// drawn again from its scene set, object and seed, and the grasp the method
// returned.

#include <nlohmann/json.hpp>
#include <string>

#include "sim/drawn_scene.h"
#include "types/grasp.h"

namespace dffeval {

/// The record's "id", or "?" for a record without one (for messages).
std::string record_id(const nlohmann::json& record);

/// The record's scene drawn again. Throws InputError naming the trial when
/// the target id is malformed or the scene drawn differs from the recorded
/// one (the run was made with another build), and nlohmann's exceptions for
/// a record without the keys.
DrawnScene redraw_scene(const nlohmann::json& record);

/// The record's "grasp" ({"X_WPalm", "joints_rad": {joint: angle}}).
Grasp grasp_from_record(const nlohmann::json& grasp);

/// "{id}" with every '/' replaced by '_' and `extension` added: the file a
/// trial's picture or video is written to.
std::string trial_file_name(const nlohmann::json& record, const std::string& extension);

}  // namespace dffeval
