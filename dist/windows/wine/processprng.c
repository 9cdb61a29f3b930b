/* bcryptprimitives.dll for wine prefixes that lack it (wine 8 and older).
 *
 * Rust's standard library (1.78 and newer) takes its random seeds from
 * ProcessPrng in bcryptprimitives.dll, which Windows 10 and 11 provide and
 * wine 8 does not. This stand-in exports only that function and fills the
 * buffer from advapi32's RtlGenRandom (exported as SystemFunction036).
 * It is used by dist/windows/check-wine.sh to run netassist.exe and its
 * test executables under wine; it is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    /* RtlGenRandom takes a 32-bit length: fill in chunks. */
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
