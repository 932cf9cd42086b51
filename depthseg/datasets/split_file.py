"""Base of the datasets listed by a split file."""
import os.path as osp

from mmengine.dataset import BaseDataset


class SplitFileDataset(BaseDataset):
    """A dataset whose ``ann_file`` is a split file, looked up relative to
    the working directory first, then to ``data_root``.

    ``_ann_file_tried`` keeps the candidate paths for the "not found"
    message of the subclass's reader.
    """

    def _join_prefix(self):
        """Resolve ``ann_file`` (CWD first, then ``data_root``)."""
        given = self.ann_file
        candidates = [given]
        if given and not osp.isabs(given) and self.data_root:
            candidates.append(osp.join(self.data_root, given))
        self._ann_file_tried = candidates
        found = [c for c in candidates if osp.isfile(c)]
        self.ann_file = osp.abspath(found[0] if found else candidates[-1])
        super()._join_prefix()
