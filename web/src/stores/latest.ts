// List reads answer in any order: a read begun for the previous sector, site
// or filter can answer after the one begun for the current one. Only the
// newest read a store started may set its rows, error and loading flag;
// older answers are dropped (otherwise switching sectors could show the
// previous sector's rows under the new sector's name).

/** A counter of one store's reads: `begin()` marks a new read and returns
 *  whether that read is still the newest when its answer arrives. */
export function latestOnly(): () => () => boolean {
  let newest = 0;
  return () => {
    const mine = ++newest;
    return () => mine === newest;
  };
}
