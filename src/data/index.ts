export { decodeImage, encodePNG } from './image-codec';
export type { DecodedImage, RawImage, DecodeImageOptions } from './image-codec';
export { imageToPixels, normalizePixels, imageToTensor, tensorToImage, resizeBilinear } from './tensor-image';
export { RNG } from './rng';
export { trainTransform, testTransform } from './augment';
export type { TrainTransformOptions } from './augment';
export { ImageFolderDataset, listImages, openUnpairedFolders, REFERENCE_IMAGE_EXTENSIONS } from './image-folder';
export type { BadImageFile, ImageFolderOptions, ImageFolderState } from './image-folder';
export { JET_LUT, jetColormap, heatmapToImage, overlayHeatmap, sampleGrid } from './heatmap';

// Deprecated spellings, kept for existing code (docs/api.md).
export { encodePng } from './image-codec';
export { Rng } from './rng';
