// Lists of numbers kept in increasing order, searched in place: finding stream lists and address
// tallies can hold a million entries, where a Set of them would cost far more than the list.

/** Each value above the one before it (so also free of repeats). */
export function strictlyIncreasing(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i] > xs[i - 1])) return false;
  return true;
}

/** Index of `key` in the increasing `values`, or -1 (binary search). */
export function indexOfSorted(values: ArrayLike<number>, key: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = values[mid];
    if (v < key) lo = mid + 1;
    else if (v > key) hi = mid - 1;
    else return mid;
  }
  return -1;
}
