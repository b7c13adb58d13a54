// One 2-D float map (an anomaly map, a mask) as the map file formats read and write it:
// row-major, `height` rows of `width` values.
export interface Plane {
  data: Float32Array;
  width: number;
  height: number;
}
