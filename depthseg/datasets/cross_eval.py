"""Cross-dataset depth test sets: NYUv2 (654 h5 files) and Make3D (134
images, C1 protocol) (BDEdepth spec §9.2)."""
import os.path as osp
from typing import List, Sequence


from depthseg.registry import DATASETS
from .split_file import SplitFileDataset


class _SplitListDataset(SplitFileDataset):
    """One item per non-empty line of ``ann_file`` (CWD first, then
    relative to ``data_root``)."""

    example = ''

    def __init__(self, data_root: str = '', ann_file: str = '',
                 pipeline: Sequence = (), test_mode: bool = True, **kwargs):
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), test_mode=test_mode,
                         **kwargs)

    def _lines(self):
        if not osp.isfile(self.ann_file):
            tried = ', '.join(osp.abspath(p) for p in self._ann_file_tried)
            raise FileNotFoundError(
                f'{type(self).__name__}: split file not found; tried: '
                f'{tried}. Fix: pass an existing split file, e.g. '
                f'{self.example}.')
        with open(self.ann_file) as f:
            for line_no, text in enumerate(f.read().splitlines(), 1):
                if text.strip():
                    yield line_no, text.strip()

    def _info(self, line_no, text, **kw) -> dict:
        return dict(frame_ids=[0], data_root=self.data_root,
                    ann_file=self.ann_file, line_no=line_no, line=text, **kw)


@DATASETS.register_module()
class NYUv2TestDataset(_SplitListDataset):
    """NYUv2 test set: lines ``nyu_test/00001.h5`` (relative to
    ``data_root``); load with :class:`LoadNYUv2H5`."""

    example = 'splits/nyuv2/test_files.txt (654 lines nyu_test/00001.h5)'

    def load_data_list(self) -> List[dict]:
        out = []
        for line_no, text in self._lines():
            if not text.endswith('.h5') or len(text.split()) != 1:
                raise ValueError(
                    f'Malformed line {line_no} of split file '
                    f'{self.ann_file}: {text!r}. Expected one .h5 path '
                    'relative to data_root, e.g. "nyu_test/00001.h5". Fix: '
                    'correct or delete this line.')
            out.append(self._info(line_no, text, sample_idx=len(out),
                                  img_path=osp.join(self.data_root, text)))
        return out


@DATASETS.register_module()
class Make3DTestDataset(_SplitListDataset):
    """Make3D test set: lines ``<name>`` (e.g.
    ``060705-17.10.14-p-049t000``); image
    ``<data_root>/Test134/img-<name>.jpg``, GT
    ``<data_root>/Gridlaserdata/depth_sph_corr-<name>.mat``; load with
    :class:`LoadMake3D`."""

    example = 'splits/make3d/test_files.txt (lines 060705-17.10.14-p-049t000)'

    def load_data_list(self) -> List[dict]:
        out = []
        for line_no, text in self._lines():
            if len(text.split()) != 1 or '/' in text:
                raise ValueError(
                    f'Malformed line {line_no} of split file '
                    f'{self.ann_file}: {text!r}. Expected one Make3D image '
                    'name, e.g. "060705-17.10.14-p-049t000". Fix: correct or '
                    'delete this line.')
            out.append(self._info(
                line_no, text, sample_idx=len(out),
                img_path=osp.join(self.data_root, 'Test134',
                                  f'img-{text}.jpg'),
                depth_path=osp.join(self.data_root, 'Gridlaserdata',
                                    f'depth_sph_corr-{text}.mat')))
        return out
