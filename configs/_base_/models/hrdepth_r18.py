_base_ = ['./monodepth2_r18.py']
model = dict(
    depth_decoder=dict(_delete_=True, type='HRDepthDecoder',
                       scales=(0, 1, 2, 3)))
