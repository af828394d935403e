#include "sim/offscreen_gl.h"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace dffeval {
namespace {

// OSMesa is loaded at run time so that the binary does not depend on it.
using OSMesaContext = void*;
using CreateCtxFn = OSMesaContext (*)(unsigned, int, int, int, OSMesaContext);
using MakeCurrentFn = unsigned char (*)(OSMesaContext, void*, unsigned, int, int);
using DestroyFn = void (*)(OSMesaContext);
constexpr unsigned kOsmesaRgba = 0x1908;      // GL_RGBA
constexpr unsigned kGlUnsignedByte = 0x1401;  // GL_UNSIGNED_BYTE
constexpr int kOsmesaBufferSize = 2048;

EGLDisplay surfaceless_display() {
  static EGLDisplay dpy = EGL_NO_DISPLAY;
  static std::once_flag once;
  std::call_once(once, [] {
    auto get_platform_display = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
        eglGetProcAddress("eglGetPlatformDisplayEXT"));
    if (get_platform_display) {
      dpy = get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr);
    }
    if (dpy == EGL_NO_DISPLAY) dpy = eglGetDisplay(EGL_DEFAULT_DISPLAY);
    EGLint major = 0, minor = 0;
    if (dpy != EGL_NO_DISPLAY && !eglInitialize(dpy, &major, &minor)) dpy = EGL_NO_DISPLAY;
  });
  return dpy;
}

}  // namespace

struct OffscreenGl::Impl {
  EGLDisplay egl_display = EGL_NO_DISPLAY;
  EGLContext egl_context = EGL_NO_CONTEXT;
  void* osmesa_lib = nullptr;
  OSMesaContext osmesa_context = nullptr;
  MakeCurrentFn osmesa_make_current = nullptr;
  DestroyFn osmesa_destroy = nullptr;
  std::vector<unsigned char> osmesa_buffer;

  bool try_egl(std::string& why) {
    egl_display = surfaceless_display();
    if (egl_display == EGL_NO_DISPLAY) {
      why += "EGL: no surfaceless display; ";
      return false;
    }
    const EGLint attribs[] = {EGL_RED_SIZE,
                              8,
                              EGL_GREEN_SIZE,
                              8,
                              EGL_BLUE_SIZE,
                              8,
                              EGL_ALPHA_SIZE,
                              8,
                              EGL_DEPTH_SIZE,
                              24,
                              EGL_STENCIL_SIZE,
                              8,
                              EGL_SURFACE_TYPE,
                              EGL_PBUFFER_BIT,
                              EGL_RENDERABLE_TYPE,
                              EGL_OPENGL_BIT,
                              EGL_NONE};
    EGLConfig config;
    EGLint n = 0;
    if (!eglChooseConfig(egl_display, attribs, &config, 1, &n) || n < 1) {
      why += "EGL: no suitable config; ";
      return false;
    }
    eglBindAPI(EGL_OPENGL_API);
    egl_context = eglCreateContext(egl_display, config, EGL_NO_CONTEXT, nullptr);
    if (egl_context == EGL_NO_CONTEXT) {
      why += "EGL: eglCreateContext failed; ";
      return false;
    }
    return eglMakeCurrent(egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, egl_context) == EGL_TRUE;
  }

  bool try_osmesa(std::string& why) {
    osmesa_lib = dlopen("libOSMesa.so.8", RTLD_NOW | RTLD_GLOBAL);
    if (!osmesa_lib) {
      why += "OSMesa: libOSMesa.so.8 not found (apt-get install libosmesa6); ";
      return false;
    }
    auto create = reinterpret_cast<CreateCtxFn>(dlsym(osmesa_lib, "OSMesaCreateContextExt"));
    osmesa_make_current = reinterpret_cast<MakeCurrentFn>(dlsym(osmesa_lib, "OSMesaMakeCurrent"));
    osmesa_destroy = reinterpret_cast<DestroyFn>(dlsym(osmesa_lib, "OSMesaDestroyContext"));
    if (!create || !osmesa_make_current) {
      why += "OSMesa: symbols missing; ";
      return false;
    }
    osmesa_context = create(kOsmesaRgba, 24, 8, 0, nullptr);
    if (!osmesa_context) {
      why += "OSMesa: context creation failed; ";
      return false;
    }
    osmesa_buffer.resize(4 * kOsmesaBufferSize * kOsmesaBufferSize);
    return make_current_osmesa();
  }

  bool make_current_osmesa() {
    return osmesa_make_current(osmesa_context, osmesa_buffer.data(), kGlUnsignedByte,
                               kOsmesaBufferSize, kOsmesaBufferSize) != 0;
  }
};

OffscreenGl::OffscreenGl() : impl_(std::make_unique<Impl>()) {
  const char* forced = std::getenv("DFFEVAL_GL");
  const std::string want = forced ? forced : "";
  std::string why;
  if (want != "osmesa" && impl_->try_egl(why)) {
    backend_ = "egl";
  } else if (want != "egl" && impl_->try_osmesa(why)) {
    backend_ = "osmesa";
  } else {
    throw std::runtime_error(
        "no headless OpenGL context: " + why +
        "install libegl-mesa0 and libgl1-mesa-dri (see scripts/install_deps.sh)");
  }
}

OffscreenGl::~OffscreenGl() {
  if (impl_->egl_context != EGL_NO_CONTEXT) {
    eglMakeCurrent(impl_->egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(impl_->egl_display, impl_->egl_context);
  }
  if (impl_->osmesa_context && impl_->osmesa_destroy) impl_->osmesa_destroy(impl_->osmesa_context);
}

void OffscreenGl::make_current() {
  if (backend_ == "egl") {
    eglMakeCurrent(impl_->egl_display, EGL_NO_SURFACE, EGL_NO_SURFACE, impl_->egl_context);
  } else {
    impl_->make_current_osmesa();
  }
}

}  // namespace dffeval
