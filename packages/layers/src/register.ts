import { serialization } from '@tensorflow/tfjs-core';

/** Package name under which every @tpfr/layers class is registered for serialization. */
export const SERIALIZATION_PACKAGE = 'tpfr';

/**
 * Registers a layer class for tfjs serialization under {@link SERIALIZATION_PACKAGE}
 * (key `tpfr>ClassName`). Class names carry a `Tpfr` prefix so they cannot clash with
 * tfjs-layers' own classes in the shared class-name map that `loadLayersModel` reads.
 */
export function registerLayer<T extends serialization.SerializableConstructor<serialization.Serializable>>(cls: T): T {
  serialization.registerClass(cls, SERIALIZATION_PACKAGE);
  return cls;
}
