// The headless GL context the renderer draws in: EGL (surfaceless Mesa) is preferred, OSMesa
// is chosen by DFFEVAL_GL=osmesa; each gives a current context that draws and reads back,
// one per thread, and make_current switches between contexts.

#include "sim/offscreen_gl.h"

#include <EGL/egl.h>
#include <GL/gl.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dffeval {
namespace {

/// Sets (or, with nullopt, unsets) DFFEVAL_GL for one scope, then restores it.
class ScopedBackend {
 public:
  explicit ScopedBackend(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("DFFEVAL_GL")) old_ = old;
    if (value) {
      ::setenv("DFFEVAL_GL", value->c_str(), 1);
    } else {
      ::unsetenv("DFFEVAL_GL");
    }
  }
  ~ScopedBackend() {
    if (old_) {
      ::setenv("DFFEVAL_GL", old_->c_str(), 1);
    } else {
      ::unsetenv("DFFEVAL_GL");
    }
  }

 private:
  std::optional<std::string> old_;
};

/// MuJoCo's default error handler waits for Enter on stdin; a test must fail
/// instead (the exception ends the test binary if it cannot unwind through
/// MuJoCo). Installed by the test's main thread for the test's duration.
class ScopedMujocoErrors {
 public:
  ScopedMujocoErrors() : old_(mju_user_error) { mju_user_error = fail; }
  ~ScopedMujocoErrors() { mju_user_error = old_; }
  ScopedMujocoErrors(const ScopedMujocoErrors&) = delete;
  ScopedMujocoErrors& operator=(const ScopedMujocoErrors&) = delete;

 private:
  [[noreturn]] static void fail(const char* msg) {
    throw std::runtime_error(std::string("MuJoCo error: ") + msg);
  }
  void (*old_)(const char*);
};

/// A one-sphere model for mjr_makeContext, compiled from memory: a small
/// offscreen buffer, no multisampling and no shadow map keep a context cheap
/// on a software rasterizer (the Shadow hand's defaults cost a second each).
const mjModel* model() {
  static const std::unique_ptr<mjModel, void (*)(mjModel*)> m = [] {
    const std::string xml =
        "<mujoco><visual><quality shadowsize='0' offsamples='0'/>"
        "<global offwidth='32' offheight='24'/></visual>"
        "<worldbody><geom type='sphere' size='0.1'/></worldbody></mujoco>";
    auto vfs = std::make_unique<mjVFS>();
    mj_defaultVFS(vfs.get());
    mj_makeEmptyFileVFS(vfs.get(), "canvas.xml", static_cast<int>(xml.size()));
    std::memcpy(vfs->filedata[mj_findFileVFS(vfs.get(), "canvas.xml")], xml.data(), xml.size());
    char err[1000] = "";
    std::unique_ptr<mjModel, void (*)(mjModel*)> model(
        mj_loadXML("canvas.xml", vfs.get(), err, sizeof(err)), mj_deleteModel);
    mj_deleteVFS(vfs.get());
    EXPECT_NE(model, nullptr) << err;
    return model;
  }();
  return m.get();
}

using Rgb = std::array<int, 3>;

/// MuJoCo's offscreen buffer in the context current on this thread, as the
/// renderer uses it: filled with a colour and read back through the driver.
class Canvas {
 public:
  Canvas() {
    mjr_defaultContext(&con_);
    mjr_makeContext(model(), &con_, mjFONTSCALE_100);
    mjr_setBuffer(mjFB_OFFSCREEN, &con_);
  }
  ~Canvas() { mjr_freeContext(&con_); }
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  bool offscreen() const { return con_.currentBuffer == mjFB_OFFSCREEN; }
  void fill(const Rgb& c) {
    mjr_setBuffer(mjFB_OFFSCREEN, &con_);
    mjr_rectangle(kPort, c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f, 1.0f);
  }
  /// The pixels of the viewport that differ from `c` by more than one level.
  int pixels_not(const Rgb& c) {
    std::vector<unsigned char> rgb(3 * kPort.width * kPort.height);
    mjr_readPixels(rgb.data(), nullptr, kPort, &con_);
    return count_not(rgb, 3, c);
  }
  static int count_not(const std::vector<unsigned char>& pixels, int channels, const Rgb& c) {
    int off = 0;
    for (std::size_t i = 0; i < pixels.size(); i += channels) {
      for (int k = 0; k < 3; ++k) {
        if (std::abs(static_cast<int>(pixels[i + k]) - c[k]) > 1) {
          ++off;
          break;
        }
      }
    }
    return off;
  }

 private:
  static constexpr mjrRect kPort = {0, 0, 16, 12};
  mjrContext con_;
};

/// OSMesa's own entry points (the library OffscreenGl loaded), to look at
/// its context without MuJoCo.
struct OsmesaApi {
  using GetCurrentFn = void* (*)();
  using ProcFn = void (*)();
  using GetProcFn = ProcFn (*)(const char*);
  GetCurrentFn get_current = nullptr;
  GetProcFn get_proc = nullptr;
  OsmesaApi() {
    void* lib = dlopen("libOSMesa.so.8", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) return;
    get_current = reinterpret_cast<GetCurrentFn>(dlsym(lib, "OSMesaGetCurrentContext"));
    get_proc = reinterpret_cast<GetProcFn>(dlsym(lib, "OSMesaGetProcAddress"));
  }
  template <class F>
  F gl(const char* name) const {
    return reinterpret_cast<F>(get_proc(name));
  }
};

TEST(OffscreenGl, EglIsCurrentAndMujocoDrawsInIt) {
  const ScopedMujocoErrors errors;
  const ScopedBackend egl(std::string("egl"));
  ASSERT_NE(model(), nullptr);
  OffscreenGl gl;
  EXPECT_EQ(gl.backend(), "egl");
  EXPECT_NE(eglGetCurrentContext(), EGL_NO_CONTEXT);
  Canvas canvas;
  ASSERT_TRUE(canvas.offscreen()) << "no offscreen framebuffer";
  // Two colours in turn: the second read must not be the first's leftovers.
  const Rgb orange = {255, 128, 0}, teal = {0, 102, 204};
  canvas.fill(orange);
  EXPECT_EQ(canvas.pixels_not(orange), 0);
  canvas.fill(teal);
  EXPECT_EQ(canvas.pixels_not(teal), 0);
}

TEST(OffscreenGl, DefaultPrefersEgl) {
  // Where EGL works (it does when forced), the default must not fall back.
  {
    const ScopedBackend egl(std::string("egl"));
    const OffscreenGl forced;
  }
  const ScopedBackend unset(std::nullopt);
  OffscreenGl gl;
  EXPECT_EQ(gl.backend(), "egl");
  EXPECT_NE(eglGetCurrentContext(), EGL_NO_CONTEXT);
}

TEST(OffscreenGl, OsmesaWhenForced) {
  const ScopedBackend osmesa(std::string("osmesa"));
  OffscreenGl gl;
  ASSERT_EQ(gl.backend(), "osmesa");
  const OsmesaApi api;
  ASSERT_NE(api.get_current, nullptr) << "libOSMesa.so.8 is not loaded";
  ASSERT_NE(api.get_proc, nullptr);
  void* const context = api.get_current();
  EXPECT_NE(context, nullptr);
  // Its buffer draws and reads back, with GL through OSMesa's own entry points: MuJoCo's
  // loader resolves GL through libGLX/libEGL, which this binary links, and their glvnd
  // dispatch does not reach an OSMesa context ("gladLoadGL error" in mjr_makeContext).
  const auto clear_color = api.gl<void (*)(float, float, float, float)>("glClearColor");
  const auto clear = api.gl<void (*)(unsigned)>("glClear");
  const auto read = api.gl<void (*)(int, int, int, int, unsigned, unsigned, void*)>("glReadPixels");
  ASSERT_TRUE(clear_color && clear && read);
  std::vector<unsigned char> rgba(4 * 8 * 8);
  clear_color(0.0f, 0.4f, 1.0f, 1.0f);
  clear(GL_COLOR_BUFFER_BIT);
  read(0, 0, 8, 8, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  EXPECT_EQ(Canvas::count_not(rgba, 4, {0, 102, 255}), 0);
  // A second context becomes current; make_current brings the first back.
  OffscreenGl other;
  EXPECT_EQ(other.backend(), "osmesa");
  EXPECT_NE(api.get_current(), context);
  gl.make_current();
  EXPECT_EQ(api.get_current(), context);
}

TEST(OffscreenGl, MakeCurrentSwitchesBetweenEglContexts) {
  const ScopedMujocoErrors errors;
  const ScopedBackend egl(std::string("egl"));
  const Rgb red = {255, 0, 0}, blue = {0, 0, 255};
  OffscreenGl a;
  const EGLContext context_a = eglGetCurrentContext();
  auto canvas_a = std::make_unique<Canvas>();
  canvas_a->fill(red);
  // Creating a second context makes it current; drawing there leaves a's buffer alone.
  OffscreenGl b;
  const EGLContext context_b = eglGetCurrentContext();
  EXPECT_NE(context_b, context_a);
  auto canvas_b = std::make_unique<Canvas>();
  canvas_b->fill(blue);
  EXPECT_EQ(canvas_b->pixels_not(blue), 0);
  a.make_current();
  EXPECT_EQ(eglGetCurrentContext(), context_a);
  EXPECT_EQ(canvas_a->pixels_not(red), 0) << "context a lost its pixels";
  b.make_current();
  EXPECT_EQ(eglGetCurrentContext(), context_b);
  EXPECT_EQ(canvas_b->pixels_not(blue), 0) << "context b lost its pixels";
  // Each MuJoCo context is freed in its own GL context.
  canvas_b.reset();
  a.make_current();
  canvas_a.reset();
}

TEST(OffscreenGl, OneContextPerThread) {
  const ScopedMujocoErrors errors;
  // Suite workers render on their own threads, each with its own context.
  const ScopedBackend egl(std::string("egl"));
  ASSERT_NE(model(), nullptr);  // loaded once, before the threads share it
  constexpr int kThreads = 3;
  std::vector<int> wrong(kThreads, -1);
  std::vector<EGLContext> contexts(kThreads, EGL_NO_CONTEXT);
  std::atomic<int> holding{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong, &contexts, &holding] {
      OffscreenGl gl;
      contexts[t] = eglGetCurrentContext();
      Canvas canvas;
      const Rgb colour = {40 * t, 255 - 60 * t, 100};
      int off = 0;
      for (int frame = 0; frame < 5; ++frame) {
        canvas.fill(colour);
        off += canvas.pixels_not(colour);
      }
      wrong[t] = off;
      // Hold the context until every thread has one, so no handle is reused.
      ++holding;
      while (holding.load() < kThreads) std::this_thread::yield();
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_NE(contexts[t], EGL_NO_CONTEXT) << "thread " << t;
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
  }
  EXPECT_EQ(std::set<EGLContext>(contexts.begin(), contexts.end()).size(),
            static_cast<std::size_t>(kThreads));
}

}  // namespace
}  // namespace dffeval
