-- The recognition model each template came from (the sha256 of its ONNX file, models/manifest.toml), bound into the
-- template's associated data. A template is only compared with templates of the model the service runs now; every
-- template stored before this column was SFace 2021dec's.
ALTER TABLE templates ADD COLUMN model TEXT NOT NULL DEFAULT '0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79';
ALTER TABLE blocklist ADD COLUMN model TEXT NOT NULL DEFAULT '0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79';
