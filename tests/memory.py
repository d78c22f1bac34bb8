"""Peak-memory measurement for the benchmark scripts: the kernel's high-water mark of this process's resident set
(VmHWM), reset just before the measured work so that imports and set-up don't count."""
import os, resource

def rss() -> int:
    "Resident memory of this process now, in bytes."
    with open('/proc/self/statm') as f: return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')

def reset_peak() -> bool:
    "Reset this process's peak-RSS mark (Linux: /proc/self/clear_refs); False where that is not possible."
    try:
        with open('/proc/self/clear_refs', 'w') as f: f.write('5')
        return True
    except OSError: return False

def peak_rss() -> int:
    "Peak resident memory since the last `reset_peak` (or since the start), in bytes."
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'): return int(line.split()[1]) * 1024
    except OSError: pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
