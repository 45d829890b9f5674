/work/main/build/obj/common/nl_linereader.o: \
 /work/main/common/nl_linereader.cpp /work/main/common/nl_linereader.h
/work/main/common/nl_linereader.h:
