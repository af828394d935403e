#!/usr/bin/env bash
# Re-creates assets/demos/*.yaml: each demonstration places the palm in the
# source object's canonical frame (position in metres, palmar normal and
# finger direction as vectors), closes the fingers on the object from zero
# towards a closure preset, records where they stopped, and verifies the
# grasp in simulation (exit code 1 if it fails). Poses were chosen by small
# sweeps over stand-off and height with this command.
set -euo pipefail
D="${DFFEVAL:-build/eval/dffeval} demo author"
$D --task mug_wrap --category mug --description "mug: wrap the body from the side, away from the handle, thumb opposite" --pos -0.056 0.07 0.05 --normal 1 0 0 --fingers 0 -1 0 --preset power
$D --task mug_top --category mug --description "mug: top-down grasp over the rim, fingers into the far side" --pos 0.08 0 0.1061 --normal 0 0 -1 --fingers -1 0 0 --preset power
$D --task bottle_wrap --category bottle --description "bottle: wrap the body from the side, thumb opposite" --pos -0.045 0.07 0.08 --normal 1 0 0 --fingers 0 -1 0 --preset power
$D --task can_wrap --category can --description "can: wrap the body from the side, thumb opposite" --pos -0.054 0.07 0.06 --normal 1 0 0 --fingers 0 -1 0 --preset power
$D --task can_top --category can --description "can: top-down power grasp, fingers over the far side" --pos -0.07 0 0.1211 --normal 0 0 -1 --fingers 1 0 0 --preset power
$D --task basket_handle --category basket --description "basket: grasp the handle bar from above" --pos -0.075 0 0.1666 --normal 0 0 -1 --fingers 1 0 0 --preset power
$D --task box_top --category box --description "box: top-down power grasp across the narrow side, thumb down the near face" --pos 0 -0.075 0.108 --normal 0 0 -1 --fingers 0 1 0 --preset power_flat
$D --task bowl_rim --category bowl --description "bowl: grasp the near rim from above, fingers down the outside, thumb inside" --pos 0.03 0 0.085 --normal 0 0 -1 --fingers -1 0 0 --preset power
$D --task soft_ball_top --category soft_ball --description "soft ball: top-down power grasp, fingers and thumb around the upper half" --pos -0.06 0 0.111 --normal 0 0 -1 --fingers 1 0 0 --preset power_flat
