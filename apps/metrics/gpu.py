"""GPU memory and utilisation from NVML. No Django: it runs wherever a worker runs."""

from __future__ import annotations

from typing import Any


def gpu_stats() -> list[dict[str, Any]]:
    """Per GPU: memory used/total in bytes and utilisation 0..1, from NVML; [] without a GPU."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - no driver, no library, no GPU: nothing to report
        return []
    stats = []
    try:
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            rates = pynvml.nvmlDeviceGetUtilizationRates(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            stats.append(
                {
                    "index": index,
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "memory_used": int(memory.used),
                    "memory_total": int(memory.total),
                    "utilisation": rates.gpu / 100.0,
                }
            )
    finally:
        pynvml.nvmlShutdown()
    return stats
