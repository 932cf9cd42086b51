# KITTI odometry training split of the original (36671 train lines,
# sequences 00-08). Layout: data/kitti_odom/sequences/XX/image_{2,3}/NNNNNN.jpg
_base_ = ['./kitti_eigen_zhou.py']
train_dataloader = dict(
    dataset=dict(
        type='KittiOdomDataset',
        data_root='data/kitti_odom',
        ann_file='{{ fileDirname }}/../../../splits/kitti/odom/'
        'train_files.txt'))
