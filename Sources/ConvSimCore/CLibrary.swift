#if canImport(Glibc)
import Glibc
#endif

/// Functions of the C library that Swift's Glibc module does not declare (`mallopt` from
/// `<malloc.h>`, `renameat2` from glibc 2.28), looked up by name at run time.
package enum CLibrary {
    /// The C library's function `name` as a value of `type` (a `@convention(c)` function type
    /// matching its C declaration); nil where the library has no such function or on a platform
    /// without glibc.
    package static func function<T>(_ name: String, as type: T.Type) -> T? {
        #if canImport(Glibc)
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0) /* RTLD_DEFAULT */, name) else { return nil }
        return unsafeBitCast(p, to: type)
        #else
        return nil
        #endif
    }
}
