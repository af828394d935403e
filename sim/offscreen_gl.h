#pragma once
// A headless OpenGL context for MuJoCo's renderer: EGL on Mesa's surfaceless
// platform first (no display needed), OSMesa as a fallback. One context per
// thread; it is made current on the thread that creates it.

#include <memory>
#include <string>

namespace dffeval {

class OffscreenGl {
 public:
  /// Creates and makes current a context. The environment variable
  /// DFFEVAL_GL=egl|osmesa forces one backend. Throws std::runtime_error
  /// naming what failed when no backend works.
  OffscreenGl();
  ~OffscreenGl();
  OffscreenGl(const OffscreenGl&) = delete;
  OffscreenGl& operator=(const OffscreenGl&) = delete;

  /// Makes the context current on the calling thread.
  void make_current();
  /// "egl" or "osmesa".
  const std::string& backend() const { return backend_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string backend_;
};

}  // namespace dffeval
